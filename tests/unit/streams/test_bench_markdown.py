"""The bench's table goes into docs/benchmarks.md in place of the previous one, notes kept."""

from __future__ import annotations

import argparse
from pathlib import Path

from streams.bench.run import (
    MARK_END,
    MARK_START,
    BenchResult,
    backlog_memory,
    local_broker_pid,
    markdown,
    write_markdown,
)
from streams.commands.bench import add_arguments, reproduce_command
from streams.settings import Settings


def _block(pipeline_eps: float) -> str:
    result = BenchResult(events=1000, shipments=10, raw_eps=9000.0, pipeline_eps=pipeline_eps)
    return markdown(result.summary(), "a test machine", "cryotrace bench")


def test_a_new_run_replaces_the_previous_table_and_keeps_the_notes(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\nintro\n\n## Session notes\nkept\n")
    write_markdown(path, _block(111.0))
    write_markdown(path, _block(222.0))
    text = path.read_text()
    assert text.count(MARK_START) == 1 and text.count(MARK_END) == 1
    assert "222 readings/s" in text and "111 readings/s" not in text
    assert text.startswith("# Benchmarks\n\n" + MARK_START)
    assert text.endswith("intro\n\n## Session notes\nkept\n")


def test_a_missing_file_is_created_with_a_title(tmp_path: Path) -> None:
    path = tmp_path / "new.md"
    write_markdown(path, _block(5.0))
    assert path.read_text().startswith("# Benchmarks\n\n" + MARK_START)


def test_the_table_says_which_workers_ran_the_pipeline_and_each_ones_cpu() -> None:
    deployed = BenchResult(
        events=1000, shipments=10, pipeline_cpu_us=300.0, sink_cpu_us=40.0, workers="process+sink"
    )
    block = markdown(deployed.summary(), "a test machine", "cryotrace bench")
    assert "a processor and a sink worker, as deployed" in block
    assert "| (c) CPU per reading of the sink worker | 40.0 µs |" in block
    single = BenchResult(events=1000, shipments=10, pipeline_cpu_us=300.0, workers="all")
    block = markdown(single.summary(), "a test machine", "cryotrace bench --one-worker")
    assert "one worker with every role" in block and "sink worker" not in block


def test_the_table_shows_the_cpu_the_latency_phase_took_when_measured() -> None:
    measured = BenchResult(events=1000, shipments=10, latency_cpu_us=187.44)
    assert measured.summary()["latency_cpu_us"] == 187.4
    block = markdown(measured.summary(), "a test machine", "cryotrace bench")
    assert (
        "| CPU per reading of the worker holding the states in the latency phase | 187.4 µs"
        in block
    )
    unmeasured = BenchResult(events=1000, shipments=10)
    assert "latency phase" not in markdown(unmeasured.summary(), "a test machine", "bench")


def test_the_table_shows_the_latency_of_each_second_when_measured() -> None:
    measured = BenchResult(events=1000, shipments=10, latency_ms_p50_by_s=[104.2, 1437.0])
    assert measured.summary()["latency_ms_p50_by_s"] == [104.2, 1437.0]
    block = markdown(measured.summary(), "a test machine", "cryotrace bench")
    assert "| latency p50 by second of the phase | 104 / 1,437 ms |" in block
    unmeasured = BenchResult(events=1000, shipments=10)
    assert "by second" not in markdown(unmeasured.summary(), "a test machine", "bench")


def test_the_reproduce_line_names_every_option_the_run_changed() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        [
            "--events",
            "100000",
            "--shipments",
            "1000",
            "--naive-budget",
            "20",
            "--latency-seconds",
            "10",
        ]
    )
    assert reproduce_command(args) == (
        "cryotrace bench --events 100000 --shipments 1000 --naive-budget 20 "
        "--latency-seconds 10 --json"
    )
    plain = parser.parse_args(["--one-worker"])
    assert reproduce_command(plain) == (
        "cryotrace bench --events 1000000 --shipments 10000 --one-worker --json"
    )


def test_make_bench_is_named_only_beside_the_command_it_runs() -> None:
    summary = BenchResult(events=1000, shipments=10, raw_eps=9000.0, pipeline_eps=5.0).summary()
    assert "`make bench`" in markdown(summary, "a test machine", "cryotrace bench", by_make=True)
    assert "make bench" not in markdown(summary, "a test machine", "cryotrace bench --events 9")


def test_the_table_says_whether_the_rule_modules_ran_compiled() -> None:
    compiled = BenchResult(events=1000, shipments=10, compiled=True)
    assert compiled.summary()["rules_compiled"] is True
    block = markdown(compiled.summary(), "a test machine", "cryotrace bench")
    assert "| (c) rule modules (alerts.compiled) | compiled with mypyc |" in block
    python = markdown(BenchResult(events=1000, shipments=10).summary(), "a machine", "bench")
    assert "| (c) rule modules (alerts.compiled) | run as Python |" in python


def test_the_memory_as_the_backlog_went_is_read_at_each_quarter_done() -> None:
    # 1,000 readings + 10 manifests; the idle worker took 100 MB
    samples = [(0, 150.0), (200, 180.0), (260, 190.0), (505, 200.0), (900, 230.0), (1010, 240.0)]
    assert backlog_memory(samples, 1010, 100.0) == [90.0, 100.0, 130.0, 140.0]
    assert backlog_memory(samples[:4], 1010, 100.0) == [90.0, 100.0, None, None]
    result = BenchResult(events=1000, shipments=10, rss_idle_mb=100.0, rss_backlog=samples)
    summary = result.summary()
    assert summary["rss_mb_backlog"] == [90.0, 100.0, 130.0, 140.0]
    assert summary["rss_backlog"][0] == [0, 150.0]
    block = markdown(summary, "a test machine", "cryotrace bench")
    assert (
        "| memory above idle as the backlog went, at 25% / 50% / 75% / 100% of it done "
        "| 90.0 / 100.0 / 130.0 / 140.0 MB (10 shipments) |" in block
    )
    unmeasured = BenchResult(events=1000, shipments=10).summary()
    assert unmeasured["rss_mb_backlog"] == [None, None, None, None]
    assert "as the backlog went" not in markdown(unmeasured, "a test machine", "bench")


def test_the_table_shows_the_local_brokers_cpu_when_measured() -> None:
    measured = BenchResult(
        events=1000, shipments=10, broker_cpu_us=21.64, latency_broker_cpu_us=44.96
    )
    summary = measured.summary()
    assert (summary["broker_cpu_us"], summary["latency_broker_cpu_us"]) == (21.6, 45.0)
    block = markdown(summary, "a test machine", "cryotrace bench")
    assert (
        "| (c) CPU per reading of the local broker, backlog / latency phase | 21.6 / 45.0 µs |"
        in block
    )
    unmeasured = BenchResult(events=1000, shipments=10).summary()
    assert unmeasured["broker_cpu_us"] is None
    assert "local broker" not in markdown(unmeasured, "a test machine", "bench")


def test_only_the_local_broker_is_measured(tmp_path: Path) -> None:
    """Another broker is not this machine's process to read the CPU of."""
    elsewhere = Settings(kafka_bootstrap="kafka.example.internal:9092", home=tmp_path)
    assert local_broker_pid(elsewhere) is None
