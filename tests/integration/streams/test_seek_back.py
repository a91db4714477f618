"""A seek back on the real broker reads the partition again from there (``streams.seek_fence``).

Without the fence Faust's consumer hands over the rest of the batch it is draining after the
seek, its read offset moves past the seek's target, and every record fetched again below it
is dropped: the offsets between the target and the seek point never came again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kafka import KafkaProducer

from streams.kafka_clients import ensure_topics, kafka_python_config
from streams.settings import Settings
from streams.supervise import settings_env, wait_until
from streams.topics import Topic, topic_name

RECORDS = 20_000
BACK_TO, AT = 1_000, 3_000
WORKER = Path(__file__).with_name("seek_back_worker.py")


@pytest.mark.parametrize("handoff", ["false", "true"], ids=["faust-handoff", "inline-handoff"])
def test_a_seek_back_mid_batch_hands_the_records_over_again(
    isolated_settings: Settings, tmp_path: Path, handoff: str
) -> None:
    settings = isolated_settings
    ensure_topics(settings)
    producer = KafkaProducer(linger_ms=20, **kafka_python_config(settings.kafka))
    name = topic_name(settings, Topic.TELEMETRY)
    for i in range(RECORDS):  # one fetch takes most of them: the seek lands mid-batch
        producer.send(name, key=b"k", value=str(i).encode(), partition=0)
    producer.flush()
    producer.close()
    out = tmp_path / "handed.json"
    env = {
        **os.environ,
        **settings_env(settings),
        "CRYOTRACE_STREAM__INLINE_HANDOFF": handoff,
        "PYTHONPATH": os.pathsep.join([str(Path.cwd()), os.environ.get("PYTHONPATH", "")]),
    }
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), str(out), str(BACK_TO), str(AT)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: out.exists() or worker.poll() is not None, 120, "the worker's report")
        assert out.exists(), (tmp_path / "worker.log").read_text()[-3000:]
        handed: list[int] = json.loads(out.read_text())
    finally:
        worker.terminate()
        worker.wait(30)
        log.close()
    after = handed[handed.index(AT) + 1 :]
    again = sorted({o for o in after if BACK_TO <= o <= AT})
    assert again == list(range(BACK_TO, AT + 1))  # all of them, read again
    assert set(handed) == set(range(RECORDS))  # nothing lost, nothing invented
