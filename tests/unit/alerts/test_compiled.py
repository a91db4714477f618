"""alerts.compiled: the rule modules run compiled only when built from the current sources,
and compiled they produce exactly what the sources do.

Run as a script, this module prints the digest of a simulated fleet's and the bench's
outputs (the equivalence test runs it twice: compiled, and with ``CRYOTRACE_PURE_PYTHON``).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import alerts
from alerts.compiled import BUILD_FILE, MODULES, PURE_ENV, active, source_digests, stale

PACKAGE = Path(alerts.__file__).resolve().parent
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def _package(tmp_path: Path, *, built: tuple[str, ...] = MODULES) -> Path:
    """A copy of the modules' sources, with empty stand-ins for the extensions ``built``."""
    package = tmp_path / "alerts"
    package.mkdir(parents=True)
    for module in MODULES:
        name = module.rsplit(".", 1)[1]
        (package / f"{name}.py").write_bytes((PACKAGE / f"{name}.py").read_bytes())
        if module in built:
            (package / f"{name}{SUFFIX}").write_bytes(b"")
    return package


def _record(package: Path) -> None:
    (package / BUILD_FILE).write_text(json.dumps({"sources": source_digests(package)}))


def test_extensions_built_from_the_current_sources_are_used(tmp_path: Path) -> None:
    package = _package(tmp_path)
    _record(package)
    assert stale(package) is None


def test_an_edited_source_makes_the_build_stale(tmp_path: Path) -> None:
    package = _package(tmp_path)
    _record(package)
    with (package / "eta.py").open("a") as source:
        source.write("\n# edited\n")
    assert stale(package) == "changed since the build: alerts.eta"


def test_a_missing_extension_or_record_makes_the_build_stale(tmp_path: Path) -> None:
    assert stale(_package(tmp_path / "none", built=())) == "absent"
    some = _package(tmp_path / "some", built=MODULES[1:])
    _record(some)
    assert stale(some) == f"not built: {MODULES[0]}"
    unrecorded = _package(tmp_path / "unrecorded")
    assert stale(unrecorded) == f"no readable {BUILD_FILE}"
    more = _package(tmp_path / "more")
    _record(more)
    (more / f"readings{SUFFIX}").write_bytes(b"")  # a module since dropped from the list
    assert stale(more) == "not listed in MODULES: alerts.readings"


def _run(*args: str, pure: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k != PURE_ENV}
    if pure:
        env[PURE_ENV] = "1"
    done = subprocess.run(  # this test module, by the same interpreter
        [sys.executable, "-W", "error::RuntimeWarning", __file__, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def test_the_pure_python_switch_imports_every_module_from_its_source() -> None:
    assert _run("loaders", pure=True) == " ".join(["SourceFileLoader"] * len(MODULES))


@pytest.mark.skipif(
    not os.environ.get("CI") and stale(PACKAGE) is not None,
    reason="not compiled here (scripts/setup.sh builds them; CI always does)",
)
def test_compiled_modules_are_used_and_give_the_outputs_the_sources_give() -> None:
    """With CI set this never skips: CI's set-up compiles them, and a build that failed or
    went stale fails here."""
    compiled, pure = _run("digest", pure=False), _run("digest", pure=True)
    assert compiled.startswith("compiled "), stale(PACKAGE)  # a child without the switch
    assert pure.startswith("pure ")
    assert compiled.split()[1:] == pure.split()[1:]
    assert int(compiled.split()[1]) > 1_000  # outputs were made


def _fleet_outputs() -> list[bytes]:
    """A simulated fleet (custody, air legs, late uploads, excursions) through the engine."""
    from schemas.recording import RecordingLine
    from streams.offline import OfflineRunner
    from streams.settings import Settings
    from streams.simulator.run import SimulationConfig, simulate

    lines = [
        RecordingLine.model_validate(line)
        for line in simulate(SimulationConfig(shipments=24, seed=5)).lines
    ]
    runner = OfflineRunner(Settings().rules)
    runner.run(lines)
    return [x.model_dump_json().encode() for x in (*runner.alerts, *runner.eta)]


def _bench_outputs() -> list[bytes]:
    """The bench's readings through the processor, manifests after the first 1,000 readings,
    a settle every 4 batches and a restart from the stored records halfway."""
    from streams.bench import data
    from streams.partitioning import partition_for
    from streams.processor import clock_step, process_batch
    from streams.settings import Settings
    from streams.state_store import ShipmentStates
    from streams.testing import ConsumedMessage, StateTable
    from streams.topics import Topic, topic_name

    settings = Settings(topic_prefix="equal")
    shipments, events, late = 150, 6_000, 1_000
    start = datetime(2026, 11, 1, tzinfo=UTC)
    telemetry = topic_name(settings, Topic.TELEMETRY)
    manifests = topic_name(settings, Topic.SHIPMENTS)
    partitions = settings.topics.partitions

    def message(topic: str, sid: str, value: bytes, offset: int) -> ConsumedMessage:
        return ConsumedMessage(
            topic, value, partition_for(sid, partitions), offset, sid.encode(), 1.8e9
        )

    stream = [
        message(telemetry, sid, value, n)
        for n, (sid, value) in enumerate(data.readings(events, shipments, start))
    ]
    stream[late:late] = [
        message(manifests, data.shipment_id(i), data.manifest(i, start), events + i)
        for i in range(shipments)
    ]
    table = StateTable()
    states = ShipmentStates(table, partitions)
    out: list[bytes] = []
    batches = [stream[i : i + 250] for i in range(0, len(stream), 250)]
    for n, batch in enumerate(batches, start=1):
        result = process_batch(settings, batch, states.load)
        states.update(result.states)
        if n % 4 == 0:
            newest = max(json.loads(m.value).get("seq", 0) for m in batch)
            wall = start + timedelta(seconds=data.INTERVAL_S * newest)
            owned = list(states.owned(set(range(partitions))))
            settled = clock_step(settings, owned, wall)
            states.update(settled.states, touched=False)
            result.alerts += settled.alerts
            result.eta += settled.eta
        out += [x.model_dump_json().encode() for x in (*result.alerts, *result.eta)]
        out += [d.model_dump_json(exclude={"received_at"}).encode() for d in result.dead_letters]
        records = states.checkpoint()
        states.stored(table.send(records))
        out += [r.key + b"=" + (r.value or b"(deleted)") for r in records]
        if n == len(batches) // 2:
            table = table.recovered()  # restarted: decoded from the changelog
            states = ShipmentStates(table, partitions)
    return out


def _main(what: str) -> None:
    if what == "loaders":
        import importlib

        print(" ".join(type(importlib.import_module(m).__loader__).__name__ for m in MODULES))
        return
    outputs = _fleet_outputs() + _bench_outputs()
    digest = hashlib.sha256(b"\n".join(outputs)).hexdigest()[:16]
    print("compiled" if active() else "pure", len(outputs), digest)


if __name__ == "__main__":
    _main(sys.argv[1])
