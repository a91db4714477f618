"""compressed_batches: aiokafka batches compressed with the codec asked for, whatever the producer's."""

from __future__ import annotations

import pytest
from aiokafka.record.default_records import DefaultRecordBatch

from schemas.errors import ConfigError
from streams.record_batches import compressed_batches


def _records(n: int) -> list[tuple[bytes, bytes]]:
    return [
        (b"SHP-%03d" % i, b'{"state": %d, "fixes": [%s]}' % (i, b",".join([b"51.5"] * 100)))
        for i in range(n)
    ]


@pytest.mark.parametrize(("codec", "attribute"), [("zstd", 4), ("gzip", 1)])
def test_a_batch_is_built_compressed_and_reads_back_equal(codec: str, attribute: int) -> None:
    batch = compressed_batches(codec, 1 << 20)()
    records = _records(50)
    for key, value in records:
        assert batch.append(key=key, value=value, timestamp=None, headers=[]) is not None
    built = bytes(batch._build())  # what the producer sends (``get_data_buffer``)
    read = DefaultRecordBatch(built)
    assert read.compression_type == attribute
    assert [(r.key, r.value) for r in read] == records
    assert len(built) * 5 < sum(len(k) + len(v) for k, v in records)


def test_the_batch_size_bounds_the_records_before_compression() -> None:
    """A batch is full at ``batch_size`` bytes of records as appended, however well they
    compress: the broker's limit is on what it receives, the bound on the worker's memory is
    what it holds."""
    batch = compressed_batches("zstd", 4096)()
    records = _records(50)
    taken = 0
    for key, value in records:
        if batch.append(key=key, value=value, timestamp=None, headers=[]) is None:
            break
        taken += 1
    assert 0 < taken < 50  # all 50 compress to about 1 KB
    assert sum(len(k) + len(v) for k, v in records[:taken]) <= 4096


def test_an_unknown_codec_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown compression codec 'brotli'"):
        compressed_batches("brotli", 1024)
