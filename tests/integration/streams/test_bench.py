"""`cryotrace bench --json` end to end on a small backlog: every figure measured, none stale."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from streams.bench.run import local_broker_pid
from streams.settings import Settings
from streams.supervise import settings_env


def test_bench_measures_every_figure_from_its_own_workers(
    isolated_settings: Settings, tmp_path: Path
) -> None:
    workdir = tmp_path / "bench"
    env = {**os.environ, **settings_env(isolated_settings)}
    command = [sys.executable, "-m", "streams.cli", "bench", "--events", "3000"]
    command += ["--shipments", "100", "--naive-budget", "30", "--latency-seconds", "2"]
    command += ["--workdir", str(workdir), "--json"]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert "did not finish" not in result.stderr
    for key in ("raw_eps", "faust_eps", "naive_eps", "pipeline_eps", "pipeline_cpu_us"):
        assert figures[key] > 0, key
    # (c) as deployed: a processor and a sink worker, each measured
    assert figures["workers"] == "process+sink"
    assert figures["sink_cpu_us"] > 0
    # the ratio comes from the unrounded rates: within what rounding each to an integer allows
    pipeline, naive = figures["pipeline_eps"], figures["naive_eps"]
    low, high = (pipeline - 0.5) / (naive + 0.5), (pipeline + 0.5) / (naive - 0.5)
    assert low * 0.999 <= figures["ratio_naive"] <= high * 1.001
    assert figures["latency_samples"] > 0 and figures["latency_offered_eps"] > 0
    assert figures["latency_cpu_us"] > 0  # the processor worked through the offered load
    # the broker's share, when it is this machine's local one (CI's is)
    if local_broker_pid(isolated_settings) is None:
        assert figures["broker_cpu_us"] is None and figures["latency_broker_cpu_us"] is None
    else:
        assert figures["broker_cpu_us"] > 0 and figures["latency_broker_cpu_us"] > 0
    assert figures["latency_ms_p50"] <= figures["latency_ms_p99"]
    by_second = figures["latency_ms_p50_by_s"]  # one median per second the probes came back
    assert by_second and all(ms > 0 for ms in by_second)
    # the idle baseline is a started processor (not a process caught while starting), and
    # the restarted worker really recovered its table
    (logs,) = [p for p in workdir.iterdir() if p.is_dir()]  # this run's logs, nobody else's
    assert "[^Worker]: Ready" in (logs / "idle.log").read_text()
    assert figures["rss_idle_mb"] > 50
    assert figures["rss_peak_mb"] > figures["rss_idle_mb"]
    assert figures["recovery_s"] > 1
    assert "sink.ready" in (logs / "pipeline-sink.log").read_text()
    recovery = (logs / "recovery.log").read_text()
    assert "Recovery complete" in recovery and recovery.count("[^Worker]: Ready") == 1
