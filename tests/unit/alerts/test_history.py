"""History: readings kept as their JSON text answer exactly as the plain sorted list would."""

from __future__ import annotations

from bisect import bisect_right, insort

import orjson

from alerts.encoded import History
from alerts.readings import CompactReading


def _reading(t: float, event_id: str, logger_id: str | None = "LOG-1") -> CompactReading:
    return CompactReading(
        t, event_id, logger_id, 1, -180.5, None, None, 40.5, -79.9, None, None, None, 88.0
    )


def _check(history: History, plain: list[CompactReading]) -> None:
    assert list(history) == plain and len(history) == len(plain)
    assert [history[i] for i in range(len(plain))] == plain
    assert history[-1] == plain[-1] and history[1:-1] == plain[1:-1]
    assert history.encode() == orjson.dumps([list(r) for r in plain])


def test_encoded_readings_are_decoded_equal_and_the_text_is_appended_to() -> None:
    plain = [_reading(float(t), f"LOG-1:{t}") for t in range(5)]
    history = History(plain[:3])
    first = history.encode()
    assert first == orjson.dumps([list(r) for r in plain[:3]])
    for r in plain[3:]:
        history.append(r)
    _check(history, plain)
    assert history.items.startswith(first[1:-1] + b",")


def test_late_readings_are_placed_as_insort_places_them() -> None:
    plain = [_reading(float(t), f"LOG-1:{t}") for t in range(0, 100, 10)]
    history = History(plain)
    history.encode()
    for late in (_reading(35.0, "LOG-1:x"), _reading(30.0, "LOG-1:29"), _reading(30.0, "LOG-1:31")):
        history.place(late)
        insort(plain, late, key=lambda r: r.sort_key)
        _check(history, plain)  # encodes: the next late one lands inside encoded text again
    history.place(_reading(-1.0, "LOG-1:first"))
    insort(plain, _reading(-1.0, "LOG-1:first"), key=lambda r: r.sort_key)
    _check(history, plain)


def test_after_counts_readings_at_or_before_a_key_as_bisect_right() -> None:
    plain = [_reading(t, i) for t, i in [(1.0, "a"), (2.0, "a"), (2.0, "c"), (3.0, "b")]]
    history = History(plain)
    history.encode()
    for key in [(0.0, "z"), (1.0, "a"), (2.0, "b"), (2.0, "c"), (2.0, "d"), (9.0, "")]:
        assert history.after(key) == bisect_right(plain, key, key=lambda r: r.sort_key)


def test_upto_counts_readings_at_or_before_a_time_as_bisect_right() -> None:
    plain = [_reading(t, i) for t, i in [(1.0, "a"), (2.0, "a"), (2.0, "c"), (3.0, "b")]]
    history = History(plain[:2])
    history.encode()
    for r in plain[2:]:  # a prefix of text and a tail of objects
        history.append(r)
    for t in (0.0, 1.0, 1.5, 2.0, 3.0, 9.0):
        assert history.upto(t) == bisect_right(plain, t, key=lambda r: r.t)


def test_evicting_keeps_the_remaining_text_and_the_bytes() -> None:
    plain = [_reading(float(t), f"LOG-1:{t}") for t in range(10)]
    history = History(plain[:6])
    history.encode()
    for r in plain[6:]:
        history.append(r)
    history.evict(2)  # inside the encoded prefix
    _check(history, plain[2:])
    history.append(_reading(10.0, "LOG-1:10"))
    history.append(_reading(11.0, "LOG-1:11"))
    history.evict(9)  # the 8 encoded ones and the first new one
    _check(history, [_reading(11.0, "LOG-1:11")])
    history.evict(1)
    assert len(history) == 0 and history.last is None and history.encode() == b"[]"


def test_ids_with_brackets_are_measured_one_by_one() -> None:
    plain = [_reading(1.0, "odd],[id"), _reading(2.0, "LOG-1:2", "log]"), _reading(3.0, "x", None)]
    history = History(plain[:1])
    history.encode()
    for r in plain[1:]:
        history.append(r)
    _check(history, plain)


def test_text_is_read_from_the_bytes_it_went_into() -> None:
    history = History([_reading(1.0, "LOG-1:1")])
    text = history.encode()
    whole = b'{"history":' + text + b"}"
    history.embedded(whole, len(b'{"history":'))
    assert history.text is whole and history[0] == _reading(1.0, "LOG-1:1")
    history.embedded(b"{}" * 40, 3)  # a wrong offset is refused
    assert history.text is whole
