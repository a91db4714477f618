"""Benchmark: CPU per alert version built from its content, one validating call against the custodian and location models made first.

In process, no broker. A shipment whose logger flaps across its limit at every reading, with
custody handed to a courier and a location on every reading (the latency phase's probes: an
alert version at every reading), is run through the engine; every alert content its book
emitted is then built again and again two ways: ``AlertBook._alert`` (one
``Alert.model_validate`` over plain data, pydantic making the nested models) and the way it
built them before (``Party`` and ``GeoPoint`` made in Python first, then ``Alert(...)``). Both
give equal alerts (checked). Each round runs both, alternating which goes first; prints the
CPU per alert (``time.process_time``) of each and their ratio.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from alerts.config import RuleConfig
from alerts.engine import apply
from alerts.findings import SEVERITIES
from alerts.lifecycle import AlertBook, alert_status, to_datetime
from alerts.testing import custody, manifest, reading
from schemas.alert import Alert, GeoPoint
from schemas.custody import Party


def _models_first(book: AlertBook, aid: str, version: int, c: dict[str, Any]) -> Alert:
    """The alert as ``AlertBook._alert`` built it before: nested models made first."""
    holder = c["custodian"]
    loc = c["location"]
    return Alert(
        alert_id=aid,
        version=version,
        status=alert_status(c),
        type=c["type"],
        severity=c["details"].get("severity") or SEVERITIES.get(c["type"], "warning"),
        shipment_id=book.shipment_id,
        coi_id=c["coi_id"],
        opened_at=to_datetime(c["opened_t"]),
        updated_at=to_datetime(c["updated_t"]),
        resolved_at=None if c["resolved_t"] is None else to_datetime(c["resolved_t"]),
        custodian=None if holder is None else Party(party_id=holder[0], role=holder[1]),
        location=None if loc is None else GeoPoint(lat=loc[0], lon=loc[1]),
        details=c["details"],
        message=c["message"],
    )


def _contents(readings: int) -> tuple[AlertBook, list[tuple[str, int, dict[str, Any]]]]:
    """A flapping shipment's book and every alert version's content it emitted."""
    config = RuleConfig()
    state = apply(None, manifest("cryo-150"), config).state
    state = apply(state, custody(-5, "departing", "HUB-NE", "CUR-1"), config).state
    seen: list[tuple[str, int, dict[str, Any]]] = []
    for m in range(readings):
        temp = -120.0 if m % 2 else -180.0  # across the -150 °C limit at every reading
        step = apply(state, reading(m, temp, location=(40.44 + m * 0.002, -79.99)), config)
        state = step.state
        assert state is not None  # a reading of a known shipment leaves its state
        for alert in step.alerts:
            version, content = state.book.emitted[alert.alert_id]
            seen.append((alert.alert_id, version, content))
    assert state is not None
    return state.book, seen


def _cpu(build: Any, book: AlertBook, contents: list[Any], repeat: int) -> float:
    """CPU seconds per alert for ``build`` over ``contents``, ``repeat`` times."""
    began = time.process_time()
    for _ in range(repeat):
        for aid, version, content in contents:
            build(book, aid, version, content)
    return (time.process_time() - began) / (repeat * len(contents))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--readings", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    book, contents = _contents(args.readings)
    ways = {"one call": AlertBook._alert, "models first": _models_first}
    for aid, version, content in contents:
        assert ways["one call"](book, aid, version, content) == _models_first(
            book, aid, version, content
        )
    for way in ways.values():  # untimed: the first pass of either way ran slower
        _cpu(way, book, contents, args.repeat)
    print(f"{len(contents):,} alert versions x {args.repeat} a way and round")
    for r in range(args.rounds):
        order = list(ways) if r % 2 == 0 else list(reversed(ways))
        cpu = {way: _cpu(ways[way], book, contents, args.repeat) for way in order}
        print(
            f"  round {r + 1}: models first {cpu['models first'] * 1e6:.2f} µs an alert, "
            f"one call {cpu['one call'] * 1e6:.2f} µs "
            f"(ratio {cpu['one call'] / cpu['models first']:.2f})"
        )


if __name__ == "__main__":
    main()
