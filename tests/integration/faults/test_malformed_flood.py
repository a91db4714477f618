"""10,000 malformed messages mixed into valid traffic: each dead-lettered with its reason, topic
and table; valid results unchanged against replay; no worker crash; lag back to zero."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from faultkit import (
    Outcome,
    fault_settings,
    live_alerts,
    repeated_versions,
    replay_fleet,
    score_overall,
    simulated_lines,
    stored_readings,
    wait_alive,
    wait_caught_up,
    warehouse,
)
from malformed import mix

from schemas.deadletter import DeadLetter
from streams.kafka_clients import ensure_topics
from streams.produce import produce_lines
from streams.settings import Settings
from streams.testing import alert_diff, final_alerts, read_topic, running_worker, same_outcome
from streams.topics import Topic

BAD_MESSAGES = 10_000
MARKER = re.compile(r"BAD-\d{5}")


def _marked(pairs: list[tuple[str, str]]) -> dict[str, Counter[str]]:
    """marker -> reasons seen for it, from ``(reason, raw)`` pairs."""
    out: dict[str, Counter[str]] = {}
    for reason, raw in pairs:
        if match := MARKER.search(raw):
            out.setdefault(match.group(), Counter())[reason] += 1
    return out


def test_malformed_messages_are_dead_lettered_and_valid_results_unchanged(
    isolated_settings: Settings,
    fresh_postgres_url: str,
    tmp_path: Path,
    fault_row: Callable[[str, str], Outcome],
) -> None:
    valid, truth = simulated_lines()
    lines, bad = mix(valid, BAD_MESSAGES, seed=5)
    row = fault_row(
        "10,000 malformed messages in valid traffic",
        f"{len(valid)} valid + {len(bad)} bad messages, 1 processor + 1 sink, 4 partitions",
    )
    settings = fault_settings(isolated_settings, warehouse_url=fresh_postgres_url)
    fleet = replay_fleet(lines, truth, settings)
    expected_reasons = {b.marker: b.reason for b in bad}
    assert len(expected_reasons) == BAD_MESSAGES
    replayed = _marked([(d.reason, d.raw) for d in fleet.replay.dead_letters])
    assert {m: set(r) for m, r in replayed.items()} == {
        m: {r} for m, r in expected_reasons.items()
    }, "offline replay dead-letters every bad message with its reason"
    clean = replay_fleet(valid, truth, settings)
    assert fleet.expected_alerts == clean.expected_alerts  # bad input changes no alert offline
    assert fleet.readings == clean.readings

    ensure_topics(settings)
    started = time.monotonic()
    produce_lines(lines, settings=settings)
    with (
        running_worker(settings, "process", tmp_path / "process.log") as processor,
        running_worker(settings, "sink", tmp_path / "sink.log") as sink,
        warehouse(fresh_postgres_url) as engine,
    ):
        workers = [processor, sink]
        wait_caught_up(settings, fleet, workers, engine)

        def table_letters() -> dict[str, Counter[str]]:
            with engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT reason, raw FROM deadletters"))
                return _marked([(str(r), str(w)) for r, w in rows])

        in_table = wait_alive(
            workers,
            lambda: (t := table_letters()) and len(t) == BAD_MESSAGES and t,
            120,
            "every bad message in the deadletters table",
        )
        elapsed = time.monotonic() - started
        readings = stored_readings(engine)
        assert processor.alive() and sink.alive()

    letters = [DeadLetter.model_validate_json(v) for v in read_topic(settings, Topic.DEADLETTER)]
    on_topic = _marked([(d.reason, d.raw) for d in letters])
    assert {m: set(r) for m, r in on_topic.items()} == {m: {r} for m, r in expected_reasons.items()}
    assert {m: set(r) for m, r in in_table.items()} == {m: {r} for m, r in expected_reasons.items()}
    assert all(sum(c.values()) == 1 for c in in_table.values())  # one row per bad message
    alerts = live_alerts(settings)
    assert same_outcome(fleet.expected_alerts, final_alerts(alerts)), alert_diff(
        fleet.expected_alerts, final_alerts(alerts)
    )
    live_score = score_overall(truth, alerts, tmp_path / "live")
    assert live_score == score_overall(truth, fleet.replay.alerts, tmp_path / "replay")
    row.figures.update(
        {
            "dead letters (topic / table / expected)": (
                f"{len(on_topic)} / {len(in_table)} / {BAD_MESSAGES}"
            ),
            "wrong reasons": 0,
            "reasons": ", ".join(
                f"{k} {v}" for k, v in sorted(Counter(expected_reasons.values()).items())
            ),
            "readings stored / expected": f"{len(readings)} / {len(fleet.readings)}",
            "duplicate rows": sum(n - 1 for n in readings.values()),
            "final alerts = replay": f"{len(fleet.expected_alerts)}",
            "truth recall": live_score["recall"],
            "repeated alert versions": repeated_versions(alerts),
            "time to drain": f"{elapsed:.0f} s",
            "lag after": 0,
            "worker restarts": 0,
        }
    )
    row.passed("all invariants hold")
