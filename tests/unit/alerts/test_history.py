"""History: readings sealed in compressed JSON chunks answer exactly as the plain sorted list would."""

from __future__ import annotations

import math
import zlib
from bisect import bisect_right, insort

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.encoded import CHUNK_READINGS, History, chunk_items
from alerts.readings import CompactReading
from alerts.testing import held_readings, tail_texts

C = CHUNK_READINGS


def _reading(t: float, event_id: str, logger_id: str | None = "LOG-1") -> CompactReading:
    return CompactReading(
        t, event_id, logger_id, 1, -180.5, None, None, 40.5, -79.9, None, None, None, 88.0
    )


def _check(history: History, plain: list[CompactReading], *, encode: bool = True) -> None:
    """``history`` answers as ``plain``; with ``encode``, its stored form holds the tail
    (which leaves the tail encoded)."""
    assert list(history) == plain and len(history) == len(plain)
    assert [history[i] for i in range(len(plain))] == plain
    if plain:
        assert history[-1] == plain[-1] == history.last
        assert history.last_key == plain[-1].sort_key
    else:
        assert history.last is None and history.last_key is None
    assert history[1:-1] == plain[1:-1] and history[3:] == plain[3:]
    times, keys = [r.t for r in plain], [r.sort_key for r in plain]
    for r in plain:  # positions among sealed and tail readings, equal times included
        for t in (r.t - 0.5, r.t, r.t + 0.5):
            assert history.upto(t) == bisect_right(times, t)
        assert history.after(r.sort_key) == bisect_right(keys, r.sort_key)
    assert history.upto(-math.inf) == 0 and history.after((-math.inf, "")) == 0
    assert history.upto(math.inf) == len(plain)
    if not encode:
        return
    form = orjson.loads(orjson.dumps(history.stored_form()))  # the tail's JSON is kept
    sealed = len(form["chunks"]) * C - form["skip"]
    assert form["tail"] == [list(r) for r in plain[sealed:]]


def _tail(history: History) -> list[object]:
    """The tail as the stored record holds it."""
    return orjson.loads(orjson.dumps(history.stored_form()))["tail"]  # type: ignore[no-any-return]


def _restored(history: History) -> History:
    """``history`` as a worker decodes it from the stored record and chunks."""
    history.seal()
    form = orjson.loads(orjson.dumps(history.stored_form()))
    return History.restored(form, dict(history.chunks()).__getitem__)


def test_full_chunks_of_the_tail_are_sealed_and_the_rest_stays_open() -> None:
    plain = [_reading(float(t), f"LOG-1:{t}") for t in range(2 * C + 5)]
    history = History(plain)
    history.seal()
    numbers = [n for n, _ in history.unsent()]
    assert numbers == [0, 1] and [n for n, _ in history.chunks()] == numbers
    for n, text in history.chunks():  # each chunk its readings' JSON as columns, compressed
        rows = [list(r) for r in plain[n * C : (n + 1) * C]]
        assert chunk_items(text) == rows and orjson.loads(zlib.decompress(text))["n"] == C
        assert len(text) < len(orjson.dumps(rows)) / 3
    assert _tail(history) == [list(r) for r in plain[2 * C :]]
    _check(history, plain)
    history.sent([0])
    assert [n for n, _ in history.unsent()] == [1]
    history.sent([1])
    assert history.unsent() == []
    for t in range(2 * C + 5, 3 * C):  # the tail fills up: one new chunk, the next number
        history.append(_reading(float(t), f"LOG-1:{t}"))
        plain.append(history.last)  # type: ignore[arg-type]
    history.seal()
    assert [n for n, _ in history.unsent()] == [2] and _tail(history) == []
    _check(history, plain)
    _check(_restored(history), plain)


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "compressed"])
def test_chunks_an_earlier_build_stored_as_rows_are_read_as_they_are(compressed: bool) -> None:
    plain = [_reading(float(t), f"LOG-1:{t}") for t in range(2 * C + 5)]
    history = History(plain)
    history.seal()
    form = orjson.loads(orjson.dumps(history.stored_form()))
    stored = {  # as builds before columns stored them: rows, compressed or not
        n: orjson.dumps([list(r) for r in plain[n * C : (n + 1) * C]]) for n, _ in history.chunks()
    }
    if compressed:
        stored = {n: zlib.compress(text, 1) for n, text in stored.items()}
    again = History.restored(form, stored.__getitem__)
    _check(again, plain)
    again.place(_reading(5.5, "LOG-1:late"))  # unseals the plain chunks from the first on
    insort(plain, _reading(5.5, "LOG-1:late"), key=lambda r: r.sort_key)
    assert again.retired == [0, 1]
    again.seal()
    _check(again, plain)
    sealed = again.unsent()  # sealed anew under new numbers, as columns, compressed
    assert [n for n, _ in sealed] == [2, 3]
    assert all(zlib.decompress(text).startswith(b'{"n":') for _, text in sealed)


def test_a_late_reading_unseals_its_chunk_and_the_later_ones() -> None:
    plain = [_reading(float(t), f"LOG-1:{t}") for t in range(0, 10 * 3 * C, 10)]
    history = History(plain)
    history.seal()
    history.sent([0, 1, 2])
    late = _reading(C * 10 + 5.0, "LOG-1:late")  # inside chunk 1
    history.place(late)
    insort(plain, late, key=lambda r: r.sort_key)
    assert [n for n, _ in history.chunks()] == [0] and history.retired == [1, 2]
    _check(history, plain)
    history.seal()  # sealed anew, under new numbers
    assert [n for n, _ in history.unsent()] == [3, 4] and history.retired == [1, 2]
    _check(history, plain)
    history.deleted([1])
    assert history.retired == [2]
    _check(_restored(history), plain)


def test_evicting_retires_whole_chunks_and_skips_into_the_first() -> None:
    plain = [_reading(float(t), f"LOG-1:{t}") for t in range(3 * C + 2)]
    history = History(plain)
    history.seal()
    history.evict(C + 3)  # chunk 0 whole, 3 of chunk 1
    assert history.retired == [0] and history.stored_form()["skip"] == 3
    _check(history, plain[C + 3 :])
    _check(_restored(history), plain[C + 3 :])
    history.evict(2 * C)  # past every sealed reading, into the tail
    assert history.retired == [0, 1, 2] and history.chunks() == []
    _check(history, plain[3 * C + 3 :])
    history.evict(1)
    assert len(history) == 0 and history.last is None


def test_after_counts_readings_at_or_before_a_key_as_bisect_right() -> None:
    pairs = [(float(t // 2), f"e{t % 3}") for t in range(2 * C)]
    plain = sorted((_reading(t, i) for t, i in pairs), key=lambda r: r.sort_key)
    history = History(plain)
    history.seal()
    for key in [(0.0, "z"), (1.0, "e0"), (2.0, "e1"), (5.0, "e2"), (7.0, ""), (99.0, "")]:
        assert history.after(key) == bisect_right(plain, key, key=lambda r: r.sort_key)
        assert history.upto(key[0]) == bisect_right(plain, key[0], key=lambda r: r.t)


def test_an_encoded_tail_is_held_as_its_json_until_it_changes_inside() -> None:
    """``stored_form`` lets go of the tail's reading objects (it keeps their JSON); a reading
    asked for is decoded equal, an append in order is held as its JSON at once, and a late
    reading placed inside the tail takes it back as objects, after which appends stay objects
    (in order) until the next encoding."""
    plain = [_reading(float(t), f"LOG-1:{t}") for t in range(0, 40, 2)]
    history = History(plain)
    assert held_readings(history) == len(plain)
    history.stored_form()
    assert held_readings(history) == 0
    _check(history, plain)
    history.append(_reading(50.0, "LOG-1:50"))
    plain.append(history.last)
    assert held_readings(history) == 0
    assert history[-2] == plain[-2] and history[len(plain) - 2 :] == plain[-2:]
    late = _reading(11.0, "LOG-1:11")
    history.place(late)
    insort(plain, late, key=lambda r: r.sort_key)
    assert held_readings(history) == len(plain)
    history.append(_reading(52.0, "LOG-1:52"))
    plain.append(history.last)
    assert held_readings(history) == len(plain)  # after the objects, as an object
    _check(history, plain)
    assert held_readings(history) == 0


def test_readings_appended_in_order_are_held_only_as_their_json() -> None:
    """Each reading appended after the sealed and encoded ones is encoded at once: no reading
    object is held between checkpoints (not even the newest), and the stored tail, sealing and a
    restore read them back equal and in order."""
    history, plain = History(), []
    for t in range(C + 5):
        history.append(_reading(float(t), f"LOG-1:{t}"))
        plain.append(history.last)
        assert held_readings(history) == 0
        if t == 7:
            assert _tail(history) == [list(r) for r in plain]  # folded into one text
            assert len(tail_texts(history)) == 1
    assert list(history) == plain
    history.seal()
    assert [n for n, _ in history.unsent()] == [0]
    assert _tail(history) == [list(r) for r in plain[C:]]
    _check(_restored(history), plain)


def test_each_encoding_of_the_tail_is_a_text_of_its_own_until_sealed() -> None:
    """A checkpoint encodes the readings appended since the last one into a new text and
    keeps the earlier ones as they were: one text grown at every checkpoint was copied into a
    larger buffer each time (the smaller copies stayed behind as holes in the heap). The
    stored tail is all of them, in order; sealing takes them into a chunk."""
    history, plain = History(), []
    for checkpoint in range(3):
        for i in range(4):
            t = float(checkpoint * 4 + i)
            history.append(_reading(t, f"LOG-1:{t}"))
            plain.append(history.last)
        before = tail_texts(history)
        history.stored_form()
        after = tail_texts(history)
        assert len(after) == checkpoint + 1
        assert all(kept is text for kept, text in zip(before, after, strict=False))
        assert orjson.loads(b"[%s]" % after[-1]) == [list(r) for r in plain[-4:]]
        assert held_readings(history) == 0
    _check(history, plain)  # read back, stored and encoded again with nothing new: 3 texts
    assert len(tail_texts(history)) == 3
    for t in range(12, C + 2):
        history.append(_reading(float(t), f"LOG-1:{t}"))
        plain.append(history.last)
    history.seal()
    assert [n for n, _ in history.unsent()] == [0]
    assert len(tail_texts(history)) == 1  # the two readings after the chunk
    _check(history, plain)
    _check(_restored(history), plain)


def test_a_restored_history_without_a_tail_knows_its_last_reading() -> None:
    plain = [_reading(float(t), f"LOG-1:{t}") for t in range(C)]
    history = _restored(History(plain))
    assert history.last == plain[-1]
    _check(history, plain)


@st.composite
def _operations(draw: st.DrawFn) -> list[tuple[str, int]]:
    kinds = st.sampled_from(["append", "place", "evict", "seal", "encode", "restore"])
    return draw(st.lists(st.tuples(kinds, st.integers(0, 3 * C)), max_size=60))


@settings(max_examples=150, deadline=None)
@given(_operations())
def test_any_sequence_of_changes_answers_as_the_sorted_list(ops: list[tuple[str, int]]) -> None:
    history, plain, clock = History(), [], 0.0
    for n, (kind, size) in enumerate(ops):
        if kind == "append":
            for i in range(size):
                clock += 1.0
                history.append(_reading(clock, f"LOG-1:{n}.{i}"))
                plain.append(history.last)
        elif kind == "place":
            late = _reading(clock - size * 0.7, f"LOG-1:{n}")
            history.place(late)
            insort(plain, late, key=lambda r: r.sort_key)
        elif kind == "evict":
            history.evict(size // 2)
            del plain[: size // 2]
        elif kind == "seal":
            history.seal()
            history.sent(n for n, _ in history.unsent())
        elif kind == "restore":
            history = _restored(history)
        # the tail encoded only at "encode" (as a checkpoint does): the other changes meet a
        # tail of objects, of encoded readings, or of both
        _check(history, plain, encode=kind == "encode")
    _check(history, plain)


def test_chunks_of_another_size_are_read_into_the_tail_and_retired() -> None:
    """A record stored by a build with another chunk size still loads: its chunks' readings
    become tail objects, sealed anew at the next checkpoint, and its chunks are retired."""
    plain = [_reading(float(t), f"LOG-1:{t}") for t in range(3 * C + 5)]
    history = History(plain)
    history.seal()
    history.evict(3)
    form = orjson.loads(orjson.dumps(history.stored_form()))
    form["size"] = C // 2  # as another build would have written it
    again = History.restored(form, dict(history.chunks()).__getitem__)
    assert again.chunks() == [] and again.retired == [0, 1, 2]
    _check(again, plain[3:])
    again.seal()
    assert [n for n, _ in again.unsent()] == [3, 4, 5]  # new numbers, never reused
    _check(again, plain[3:])
