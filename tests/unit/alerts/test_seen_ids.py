"""SeenIds: the same de-duplication answers as an insertion-ordered dict of the id strings."""

from __future__ import annotations

import random
from collections import OrderedDict

import orjson

from alerts.seen import SeenIds

ODD = ["CUS-0001-01", "LOG-1:007", "LOG-1:", "LOG-1:+5", "LOG-1:٣", ":4", "a:b:3", "LOG-1:1e3"]
"""Ids not of the canonical ``<prefix>:<seq>`` form, or with a surprising prefix."""


def _check(seen: SeenIds, plain: OrderedDict[str, None], probes: list[str]) -> None:
    assert len(seen) == len(plain) and list(seen) == list(plain)
    assert [p in seen for p in probes] == [p in plain for p in probes]
    restored = SeenIds(orjson.loads(orjson.dumps(seen.to_list())))
    assert restored == seen and list(restored) == list(plain)


def test_in_order_sequence_numbers_are_one_run() -> None:
    seen = SeenIds()
    for seq in range(100):
        seen.add(f"LOG-0101:{seq}")
    assert seen.to_list() == [["LOG-0101", 0, 100]]
    assert "LOG-0101:99" in seen and "LOG-0101:100" not in seen and "LOG-0102:5" not in seen
    seen.popleft()
    assert "LOG-0101:0" not in seen and seen.to_list() == [["LOG-0101", 1, 99]]


def test_the_earlier_stored_form_of_plain_strings_reads_the_same() -> None:
    ids = ["LOG-1:5", "LOG-1:6", "CUS-0001-01", "LOG-1:8", "LOG-2:1"]
    seen = SeenIds(ids)
    assert list(seen) == ids
    assert seen.to_list() == [["LOG-1", 5, 2], "CUS-0001-01", "LOG-1:8", "LOG-2:1"]


def test_random_traffic_answers_as_an_ordered_dict_with_the_same_bound() -> None:
    rng = random.Random(7)
    seen, plain = SeenIds(), OrderedDict[str, None]()
    pool = [f"LOG-{rng.randrange(3)}:{rng.randrange(60)}" for _ in range(300)] + ODD
    for step in range(3000):
        in_order = rng.random() < 0.6  # mostly in order, as loggers send
        event_id = f"LOG-9:{step // 2}" if in_order else rng.choice(pool)
        if event_id in plain:
            assert event_id in seen
            continue
        assert event_id not in seen
        seen.add(event_id)
        plain[event_id] = None
        if len(plain) > 40:
            seen.popleft()
            plain.popitem(last=False)
        if step % 97 == 0:
            _check(
                seen,
                plain,
                pool[:50] + ODD + [f"LOG-9:{i}" for i in range(step // 2 - 50, step // 2 + 2)],
            )
    _check(seen, plain, pool + ODD)


def test_ids_outside_the_form_are_kept_as_strings() -> None:
    seen = SeenIds()
    for event_id in ODD:
        seen.add(event_id)
    assert seen.to_list() == ODD  # runs of one are stored as their id, these included
    assert all(i in seen for i in ODD) and "LOG-1:7" not in seen and "LOG-1:3" not in seen


def test_sets_without_ids_of_another_form_share_nothing_they_change() -> None:
    numbered, odd, fresh = SeenIds(["LOG-1:1", "LOG-1:2"]), SeenIds(), SeenIds()
    odd.add("CUS-0001-01")
    assert "CUS-0001-01" in odd and "CUS-0001-01" not in numbered and "CUS-0001-01" not in fresh
    assert list(SeenIds()) == [] and list(numbered) == ["LOG-1:1", "LOG-1:2"]
    odd.popleft()  # forgotten: the next set made holds none either
    assert "CUS-0001-01" not in odd and "CUS-0001-01" not in SeenIds()
