"""ETA alert messages and the bound on ETA alert episodes."""

from __future__ import annotations

from eta_builders import ORIGIN, Drive, along, drive_road, road_manifest

from alerts.eta_config import EtaConfig
from alerts.eta_messages import eta_text


def test_dwell_message_names_the_site_and_says_when_it_left() -> None:
    d = Drive(road_manifest())
    d.fix(0, along(0.0))
    d.fix(200, along(0.0))
    (opened,) = [f for f in d.results[-1].changed if f.type == "dwell_exceeded"]
    assert eta_text(opened) == (
        f"Waiting at {ORIGIN[0]} since 2026-11-29 08:00 UTC, past its norm (2026-11-29 10:05 UTC)"
    )
    d.scan(300, "departing", ORIGIN[0])
    (left,) = [f for f in d.results[-1].changed if f.type == "dwell_exceeded"]
    assert eta_text(left).endswith("(left the site)")


def test_late_message_says_which_eta_and_how_late_on_arrival() -> None:
    d = Drive(road_manifest(end_minute=150))
    drive_road(d, until_fraction=0.5)
    text = eta_text(d.eta.open["late_delivery_risk"])
    assert text.startswith("Median ETA 2026-11-29 11:")
    assert text.endswith("is past the promised end 2026-11-29 10:30 UTC")
    d.scan(212, "arriving", "HOSP-B")
    (closed,) = d.eta.closed
    assert eta_text(closed) == "Arrived 1 h 2 min after the promised end"


def test_no_new_episode_past_the_bound() -> None:
    d = Drive(road_manifest(), EtaConfig(max_episodes=1))
    d.fix(0, along(0.0))
    d.fix(200, along(0.0))  # overdue at the origin: the one episode allowed opens
    d.scan(300, "departing", ORIGIN[0])
    d.eta.closed.clear()
    d.fix(310, along(0.0))
    d.fix(900, along(0.0))  # promised end (minute 600) passed while standing: no episode 2
    assert d.updates[-1].risk == "late_p50"
    assert d.eta.open == {}
    assert d.eta.episodes == 1
