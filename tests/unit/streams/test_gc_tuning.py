"""The workers' collector settings: start-up objects frozen, rarer collections."""

from __future__ import annotations

import gc

from streams.gc_tuning import GC_THRESHOLDS, tune_gc


def test_tune_gc_freezes_what_is_alive_and_raises_the_thresholds() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
        assert GC_THRESHOLDS[0] > before[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
