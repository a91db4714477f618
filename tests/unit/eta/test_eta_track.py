"""Track: the distances it keeps with its fixes equal the distances measured afresh."""

from __future__ import annotations

import itertools

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


@settings(max_examples=200, deadline=None)
@given(_observations(), st.integers(2, 12))
def test_distances_kept_with_the_fixes_equal_distances_measured_afresh(
    observations: list[tuple[float, float | None, bool]], max_fixes: int
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
