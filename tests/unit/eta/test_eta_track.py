"""Track: the distances, paces and JSON it keeps with its fixes equal those made afresh, and so
does the run it reports standing still."""

from __future__ import annotations

import itertools
import math
import tracemalloc

import orjson
from eta_builders import ts
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.eta_track import Track, haversine_km

_SITES = [(40.44, -79.99), (42.3, -71.1)]


@st.composite
def _observations(draw: st.DrawFn) -> list[tuple[float, float | None, bool]]:
    """``(time, latitude or None, ask)`` per reading: mostly in order, some late, some
    without a fix, some at a time already seen; ``ask`` measures the distances after it."""
    out: list[tuple[float, float | None, bool]] = []
    t = 0.0
    for _ in range(draw(st.integers(1, 60))):
        kind = draw(st.sampled_from(["next", "next", "next", "late", "same", "nofix"]))
        if kind == "next":
            t += draw(st.floats(1.0, 900.0))
            when = t
        elif kind == "late":
            when = t - draw(st.floats(1.0, 4000.0))
        else:
            when = t
        lat = None if kind == "nofix" else 40.0 + draw(st.floats(0.0, 2.5))
        out.append((when, lat, draw(st.booleans())))
    return out


def _paces_afresh(
    fixes: list[tuple[float, float, float]], site: tuple[float, float], detour: float, still: float
) -> list[float | None]:
    """Road km per second toward ``site`` from each fix to the next, measured from scratch:
    None without a moving step into the first and out of it (or for the first fix)."""
    if len(fixes) < 2:
        return []
    out: list[float | None] = [None]
    triples = zip(fixes, fixes[1:], fixes[2:], strict=False)  # each fix with the two after it
    for before, (ta, lat_a, lon_a), (tb, lat_b, lon_b) in triples:
        into = haversine_km(before[1], before[2], lat_a, lon_a)
        step = haversine_km(lat_a, lon_a, lat_b, lon_b)
        if tb - ta <= 0 or into <= still or step <= still:
            out.append(None)
        else:
            left_a, left_b = haversine_km(lat_a, lon_a, *site), haversine_km(lat_b, lon_b, *site)
            out.append((left_a * detour - left_b * detour) / (tb - ta))
    return out


@settings(max_examples=200, deadline=None)
@given(_observations(), st.integers(2, 12), st.sampled_from([0.0, 60.0, 150.0]))
def test_distances_paces_and_key_kept_with_the_fixes_equal_those_made_afresh(
    observations: list[tuple[float, float | None, bool]], max_fixes: int, still: float
) -> None:
    track = Track()
    for t, lat, ask in observations:
        lon = None if lat is None else -75.0 - (lat - 40.0)
        track.observe(
            t, lat, lon, None, tilt_limit_deg=60.0, tilt_max_gap_s=3600.0, max_fixes=max_fixes
        )
        if ask:
            fixes = track.fixes
            assert list(track.steps_km()) == [
                haversine_km(a[1], a[2], b[1], b[2]) for a, b in itertools.pairwise(fixes)
            ]
            for site in _SITES[: 1 + int(t) % 2]:
                assert list(track.km_to(*site)) == [haversine_km(f[1], f[2], *site) for f in fixes]
                paces = [None if math.isnan(p) else p for p in track.paces(*site, 1.3, still)]
                assert paces == _paces_afresh(fixes, site, 1.3, still)
            assert track.fixes_key() == Track.of(fixes).fixes_key()


def test_the_fixes_key_is_taken_once_until_the_fixes_change() -> None:
    track = Track()

    def observe(t: float, lat: float | None) -> None:
        lon = None if lat is None else -75.0
        track.observe(t, lat, lon, None, tilt_limit_deg=60.0, tilt_max_gap_s=3600.0, max_fixes=3)

    observe(0.0, 40.0)
    first = track.fixes_key()
    assert track.fixes_key() is first  # not hashed again
    observe(60.0, None)  # a reading without a fix: the fixes are the same
    observe(0.0, 41.0)  # a fix at a time already kept: dropped
    assert track.fixes_key() is first
    assert track.copy().fixes_key() is first
    for t, lat in [(120.0, 40.5), (30.0, 40.2), (180.0, 40.7), (240.0, 40.9)]:  # appended,
        before = track.fixes_key()  # inserted, appended, appended with the oldest dropped
        observe(t, lat)
        assert track.fixes_key() != before
        assert track.fixes_key() == Track.of(track.fixes).fixes_key()


def test_a_stamp_is_held_only_by_tracks_with_its_fixes() -> None:
    """``alerts.eta._Known`` matches fixes by their stamp: a copy shares it, a change of the
    fixes (not a reading without one, nor a fix at a time kept) drops it."""
    track = Track()

    def observe(on: Track, t: float, lat: float | None) -> None:
        lon = None if lat is None else -75.0
        on.observe(t, lat, lon, None, tilt_limit_deg=60.0, tilt_max_gap_s=3600.0, max_fixes=3)

    observe(track, 0.0, 40.0)
    stamp = track.fixes_stamp()
    assert stamp != 0 and track.fixes_stamp() == stamp and track.key is None  # once, unhashed
    copy = track.copy()
    assert copy.stamp == stamp
    observe(track, 60.0, None)
    observe(track, 0.0, 41.0)
    assert track.stamp == stamp
    observe(copy, 120.0, 40.5)
    assert copy.stamp == 0 and track.stamp == stamp and copy.fixes != track.fixes
    assert copy.fixes_stamp() not in (0, stamp)
    assert Track.of(track.fixes).fixes_stamp() not in (0, stamp, copy.stamp)  # equal fixes too
    observe(track, 30.0, 40.2)  # inserted
    assert track.stamp == 0
    assert track.key is None  # nobody asked for it


def _still_since_afresh(fixes: list[tuple[float, float, float]], radius_km: float) -> float | None:
    """The oldest fix time of the newest run within ``radius_km`` of the newest fix, measured
    from scratch."""
    if not fixes:
        return None
    t, lat, lon = fixes[-1]
    since = t
    for ft, flat, flon in reversed(fixes[:-1]):
        if haversine_km(flat, flon, lat, lon) > radius_km:
            break
        since = ft
    return since


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.001, 0.003, 0.004, 0.02, 1.0]), max_size=30))
def test_still_since_equals_the_run_measured_afresh(moves: list[float]) -> None:
    """Moves of 0-0.4 km (inside the radius), 2 km and 110 km between fixes, in any order:
    the kept step to the newest fix stands for its distance only where that is exact."""
    track = Track()
    lat = 40.0
    for minute, move in enumerate(moves):
        lat += move
        track.observe(
            ts(10 * minute), lat, -80.0, None, tilt_limit_deg=45, tilt_max_gap_s=3600, max_fixes=8
        )
        assert track.still_since(0.5) == _still_since_afresh(track.fixes, 0.5)


def test_what_the_fixes_take_grows_with_them_only() -> None:
    """An appended fix costs its doubles and its distance, and the arrays' spare room: the
    track keeps no JSON of its fixes (``tests/unit/alerts/test_state_encoding.py``)."""
    track = Track()

    def observe(first: int, stop: int) -> None:
        for minute in range(first, stop):
            track.observe(
                ts(minute), 40.0 + minute * 0.01, -80.0, None,
                tilt_limit_deg=45, tilt_max_gap_s=3600, max_fixes=1000,
            )  # fmt: skip

    observe(0, 200)
    track.steps_km()  # the distances measured, kept in step from here
    orjson.dumps(track.to_dict())  # a checkpoint's encoding
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        observe(200, 400)  # 200 appended
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held / 200 < 100  # 32 bytes a fix in arrays, which grow by more than they need


def test_a_track_holds_its_fixes_as_doubles() -> None:
    """24 fixes (``EtaConfig.max_fixes``) take about 8 bytes a value, 3 values a fix, in the
    track: as a list of ``(t, lat, lon)`` tuples of float objects they took about 3.5 KB."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        track = Track()
        for minute in range(100):
            track.observe(
                ts(minute), 40.0 + minute * 0.01, -80.0 + minute * 0.01, None,
                tilt_limit_deg=45, tilt_max_gap_s=3600, max_fixes=24,
            )  # fmt: skip
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(track.fixes) == 24
    assert track.fixes[-1] == (ts(99), 40.99, -79.01)
    assert held < 1_200, held
