"""Faust's consumer notes each partition's end offset once per fetch, not once per record.

``faust.transport.consumer.Consumer.getmany`` hands a fetch's records over one at a time and,
before each, asks the consumer for its partition's high-water mark (``highwater``: through
Faust's thread delegate to the aiokafka consumer's subscription state, four Python calls)
and gives it to the monitor (``track_tp_end_offset``, which keeps it for Faust's lag
statistics). Within one fetch a partition's mark moves only when the consumer thread lands
another fetch meanwhile, so asking once per record bought nothing: 1.6 % of a process
worker's event-loop samples in the backlog, 4.0 % of a sink worker's (docs/benchmarks.md,
session 43).

``note_end_offsets_per_fetch`` makes ``getmany`` note each partition's mark when the fetch's
first record of it is handed over; the next fetch notes it again (the monitor's method looked
up once per fetch too). Everything else is Faust's own method, line for line: the records,
their order, the checks of the flow, the generation and the active partitions before each
one, and the seek when the flow is off.

Checked against faust-streaming 0.15.3 (constraints.txt).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

__all__ = ["note_end_offsets_per_fetch"]

_MARK = "_cryotrace_end_offsets_per_fetch"


async def getmany(self: Any, timeout: float) -> AsyncIterator[tuple[Any, Any]]:
    """Faust's ``Consumer.getmany``, the end offset noted once per partition and fetch."""
    records, active_partitions = await self._wait_next_records(timeout)
    generation_id = self.app.consumer_generation_id
    if records is None or self.should_stop:
        return

    records_it = self.scheduler.iterate(records)
    to_message = self._to_message  # localize
    if self.flow_active:
        noted: set[Any] = set()
        track_end_offset = self.app.monitor.track_tp_end_offset
        for tp, record in records_it:
            if not self.flow_active:
                break
            new_generation_id = self.app.consumer_generation_id
            if new_generation_id != generation_id:
                self.log.dev(
                    "Generation id changed from %r to %r. Cancelling getmany.",
                    generation_id,
                    new_generation_id,
                )
                break
            if (
                active_partitions is None
                or tp in active_partitions
                or tp in self._buffered_partitions
            ):
                if tp not in noted:
                    noted.add(tp)
                    track_end_offset(tp, self.highwater(tp))
                yield tp, to_message(tp, record)
    else:
        self.log.dev("getmany called while flow not active. Seek back to committed offsets.")
        try:
            await self.perform_seek()
        except Exception as ex:
            self.log.warning(f"exception performing seek when flow not active {ex}")


def note_end_offsets_per_fetch() -> None:
    """Patch Faust's consumer as the module docstring says (idempotent; process-wide)."""
    from faust.transport.consumer import Consumer

    if getattr(Consumer, _MARK, None) is not None:
        return
    setattr(Consumer, _MARK, Consumer.getmany)  # Faust's own, for tests to compare against
    Consumer.getmany = getmany  # type: ignore[method-assign]
