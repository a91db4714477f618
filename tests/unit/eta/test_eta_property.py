"""Property: whatever the fixes and scans, p90 is never before p50 and the update is valid."""

from __future__ import annotations

from bisect import insort

from eta_builders import ORIGIN, air_leg, road_leg, road_manifest, scan, ts
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.eta import EtaState, observe, refresh
from alerts.eta_config import EtaConfig

CONFIG = EtaConfig()
LEG_SETS = [
    None,
    [],
    [
        road_leg(ORIGIN[0], "APT-X", 60, 90),
        air_leg("APT-X", "APT-Y", 180, 300),
        road_leg("APT-Y", "HOSP-B", 360, 400),
    ],
]
SITES = [ORIGIN[0], "APT-X", "APT-Y", "HOSP-B", "ELSEWHERE"]
STEPS = ["packing", "departing", "arriving", "accepting", "receiving", "holding"]

fix = st.tuples(
    st.floats(-200, 900),
    st.one_of(st.none(), st.tuples(st.floats(39.0, 42.0), st.floats(-81.0, -79.0))),
    st.one_of(st.none(), st.floats(0, 180)),
)
custody = st.tuples(st.floats(-200, 900), st.sampled_from(STEPS), st.sampled_from(SITES))


@settings(max_examples=150, deadline=None)
@given(
    legs=st.sampled_from(range(len(LEG_SETS))),
    events=st.lists(st.one_of(fix, custody), max_size=30),
    end=st.floats(0, 2000),
    charged=st.floats(-20_000, 0),
)
def test_p90_never_before_p50(
    legs: int, events: list[tuple[object, ...]], end: float, charged: float
) -> None:
    shipper = {"shipper_id": "DS-1", "rated_hold_h": 120.0, "charged_at": _iso(charged)}
    manifest = road_manifest(end_minute=end, legs=LEG_SETS[legs], shipper=shipper)
    eta = EtaState()
    scans: list = []
    now = ts(-120)
    for n, event in enumerate(events):
        minute = float(event[0])  # type: ignore[arg-type]
        if event[1] in STEPS:
            insort(scans, scan(minute, str(event[1]), str(event[2]), n), key=lambda c: c.sort_key)
        else:
            where, tilt = event[1], event[2]
            lat, lon = where if where is not None else (None, None)  # type: ignore[misc]
            observe(eta, ts(minute), lat, lon, tilt, CONFIG, tilt_limit_deg=45)  # type: ignore[arg-type]
        now = max(now, ts(minute))
        result = refresh(eta, manifest, scans, CONFIG, now)
        assert result.estimate.p90 >= result.estimate.p50
        if result.update is not None:
            assert result.update.eta_p90 >= result.update.eta_p50
            assert result.update.computed_at.timestamp() == now
        for finding in result.changed:
            assert finding.resolved_at is None or finding.resolved_at >= finding.opened_at


def _iso(minute: float) -> str:
    from eta_builders import at

    return at(minute).isoformat()
