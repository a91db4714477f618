"""ETA rules: the ETA window, its updates, and the late / hold-time / dwell alerts; pure.

Per shipment the engine keeps an ``EtaState``; every reading goes to ``observe`` and after
each event ``refresh`` recomputes the window at ``now`` (the newest event time known for
the shipment, never a wall clock). ``refresh`` returns the ``EtaUpdate`` to publish, only
on a meaningful change (a shift of a few minutes, less when close, or a new risk state),
and the ETA findings that changed, for the alert lifecycle.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from alerts.custody_checks import CompactCustody
from alerts.encoded import History
from alerts.eta_config import EtaConfig
from alerts.eta_route import Estimate, estimate
from alerts.eta_track import Track
from alerts.findings import Finding
from alerts.lifecycle import to_datetime
from alerts.readings import CompactReading
from schemas.eta import EtaUpdate
from schemas.manifest import ShipmentManifest

__all__ = [
    "ETA_ALERT_SEVERITIES",
    "EtaResult",
    "EtaState",
    "begin_exact",
    "derive",
    "fold_evicted",
    "hold_end",
    "in_order",
    "late_risk",
    "mark_late",
    "observe",
    "rederive",
    "refresh",
]

ETA_ALERT_SEVERITIES: dict[str, str] = {
    "late_delivery_risk": "warning",
    "hold_time_risk": "critical",
    "dwell_exceeded": "warning",
}
"""Default severity of each ETA alert type (``late_delivery_risk`` turns critical once the
median ETA is past the promised end; the finding's ``details.severity`` says which)."""


@dataclass(slots=True)
class EtaState:
    """The ETA side of a shipment's state (JSON-serialisable).

    - ``track``: recent fixes and tilted time;
    - ``last``: ``[p50, p90, state]`` of the last published update (``state`` is the risk
      tuple as a list), None before the first;
    - ``open``: the open episode of each ETA alert type; ``closed``: the closed ones (all
      kept, so a complete reconciliation never withdraws them; at most
      ``EtaConfig.max_episodes`` ever open);
    - ``dirty``: late events arrived (``mark_late``); the next ``rederive`` (by the engine,
      once the late readings stop coming) brings the episodes up to date.
    - ``unsettled``: events arrived since the last ``rederive``. Readings and custody come
      on two topics whose interleaving differs from run to run, so the ETA alerts are
      reconciled only from a ``rederive`` (event-time order, independent of arrival order)
      when the shipment settles; ``refresh`` between settles only publishes ETA updates.
    - ``episodes``: episodes opened so far. Anchors are ``eta@<opened_at>``, so when a
      replay (``rederive``) moves an episode's start the lifecycle keeps its alert id.
    """

    track: Track = field(default_factory=Track)
    last: list[Any] | None = None
    open: dict[str, Finding] = field(default_factory=dict)
    closed: list[Finding] = field(default_factory=list)
    episodes: int = 0
    dirty: bool = False
    unsettled: bool = False
    marks: list[tuple[float, EtaState]] = field(default_factory=list, repr=False, compare=False)
    """Runtime cache, not serialised: ``(now, copy)`` every ``MARK_EVERY`` steps of a
    ``rederive``, where the next replay can start instead of at the beginning (only replays
    leave marks: a state built in arrival order is no place to start an event-time replay)."""
    since_mark: int = field(default=0, repr=False, compare=False)
    known: list[_Known] = field(default_factory=list, repr=False, compare=False)
    """Runtime cache, not serialised: the newest estimates of in-order ``refresh``-es and
    what they were computed from; a ``rederive`` that reaches the same inputs (the usual
    case: it replays the events the refreshes saw) takes them instead of estimating again."""
    stale: bool = field(default=False, repr=False, compare=False)
    """Runtime: an in-order refresh is owed (``alerts.engine.apply(..., eta_now=False)``)."""
    refreshed_t: float | None = field(default=None, repr=False, compare=False)
    """Runtime: the event time of the last in-order refresh."""
    exact_t: float | None = field(default=None, repr=False, compare=False)
    """Runtime: the state is what a replay in event time (``rederive``) of every event so far
    would leave, derived at this time: each event came strictly later than the ones before
    it and was derived before the next came (``in_order``, ``refresh``, ``derive``). A
    settle then takes the state as it is instead of replaying. None: not known to be (a late
    event, one at the newest time, a changed manifest, a restored or copied state); ``-inf``:
    a new state, not yet derived at its manifest's creation."""

    def copy(self) -> EtaState:
        """An independent copy (without the checkpoints)."""
        last = self.last
        return EtaState(
            self.track.copy(),
            None if last is None else [last[0], last[1], list(last[2])],
            {k: replace(f, details=dict(f.details)) for k, f in self.open.items()},
            [replace(f, details=dict(f.details)) for f in self.closed],
            self.episodes,
            self.dirty,
            self.unsettled,
        )

    def findings(self) -> list[Finding]:
        """Copies of every ETA finding still known (for a complete reconciliation; copies,
        because the open ones keep changing and the lifecycle remembers what it was given)."""
        return [replace(f) for f in (*self.closed, *self.open.values())]

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON form."""
        return {
            "track": self.track.to_dict(),
            "last": self.last,
            "open": {k: f.to_list() for k, f in self.open.items()},
            "closed": [f.to_list() for f in self.closed],
            "episodes": self.episodes,
            "dirty": self.dirty,
            "unsettled": self.unsettled,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EtaState:
        """Inverse of ``to_dict``."""
        return cls(
            Track.from_dict(data["track"]),
            data["last"],
            {k: Finding.from_list(v) for k, v in data["open"].items()},
            [Finding.from_list(v) for v in data["closed"]],
            int(data["episodes"]),
            bool(data.get("dirty", False)),
            bool(data.get("unsettled", False)),
        )


class _Known:
    """An estimate and everything ``estimate`` read to compute it: the track's fixes as the
    stamp of their content (``Track.fixes_stamp``: any track still holding it has them) and,
    for a state not ``exact_t``, their key (``Track.fixes_key``).

    A state kept exact replaces its known estimate at its next event (``KNOWN_EXACT``), after
    its batch's refresh matched it by the stamp, so its key is taken only when a replay asks
    while the track still holds the stamp (hashing the fixes was one SHA-256 a reading). A
    state not exact keeps its estimates for the settles' replays after its track has moved
    on, so their keys are taken at once."""

    __slots__ = (
        "config",
        "custody",
        "est",
        "first_t",
        "key",
        "last_t",
        "manifest",
        "now",
        "stamp",
        "track",
    )

    now: float
    manifest: ShipmentManifest
    config: EtaConfig
    stamp: int
    key: bytes | None
    track: Track | None
    first_t: float | None
    last_t: float | None
    custody: list[CompactCustody]
    est: Estimate

    # a plain class: compiled (``alerts.compiled``) a dataclass's generated ``__init__``
    # still runs as Python, and one is made per new estimate. Held through ``take``, not
    # ``__init__``: ``_step`` has the oldest known estimate, about to be dropped, take the
    # newest (one object a reading less for the collector), and a compiled ``__init__`` run
    # again on an object leaks what it held (its first stores release nothing)
    def take(
        self,
        now: float,
        manifest: ShipmentManifest,
        config: EtaConfig,
        track: Track,
        custody: list[CompactCustody],
        est: Estimate,
        *,
        keyed: bool,
    ) -> _Known:
        """Hold ``est`` and its inputs (``custody``: a copy no one changes); itself."""
        self.now = now
        self.manifest = manifest
        self.config = config
        self.stamp = track.fixes_stamp()
        self.key = track.fixes_key() if keyed else None
        self.track = None if keyed else track
        self.first_t = track.first_t
        self.last_t = track.last_t
        self.custody = custody
        self.est = est
        return self

    def fixes_key(self) -> bytes | None:
        """The key of the fixes it was computed from (None: not taken, and its track has
        changed its fixes since). The track is let go of: it cannot give the key later."""
        track = self.track
        if track is not None:
            if self.key is None and track.stamp == self.stamp:
                self.key = track.fixes_key()
            self.track = None
        return self.key

    def matches(
        self,
        manifest: ShipmentManifest,
        track: Track,
        custody: Sequence[CompactCustody],
        config: EtaConfig,
        now: float,
    ) -> bool:
        """Whether ``estimate`` would compute this estimate from these inputs."""
        if not (
            self.now == now
            and self.manifest is manifest
            and self.config is config
            and self.first_t == track.first_t
            and self.last_t == track.last_t
        ):
            return False
        if track.stamp != self.stamp:
            key = self.fixes_key()
            if key is None or key != track.fixes_key():
                return False
        return self.custody == custody


KNOWN = 4
"""Refresh estimates kept for the next ``rederive``-s of a state that is not ``exact_t``
(carried over to the state a settle leaves). During a late burst the live clock settles a
shipment after each reading, and each settle replays the up to ``MARK_EVERY`` + 1 events
after the newest mark: all but the oldest were refreshed in order. An ``exact_t`` state
keeps only its newest (``KNOWN_EXACT``)."""

KNOWN_EXACT = 1
"""Refresh estimates an ``exact_t`` state keeps: its settle replays nothing and takes the
newest (``_as_replayed``), as the batch's refresh takes its last event's derive. The older
ones would serve only a replay after a late event, once per late burst (its first settle
estimates again the up to ``MARK_EVERY`` events after the newest mark), and with their
fixes and custody copies they held about 3.5 KB of the ETA's 13.3 KB a shipment
(``benchmarks/bench_state_memory.py``, 2,000 shipments x 100 readings)."""


@dataclass(init=False, slots=True)
class EtaResult:
    """What one ``refresh`` produced."""

    update: EtaUpdate | None
    changed: list[Finding]
    estimate: Estimate

    def __init__(  # written out: see ``_Known``
        self, update: EtaUpdate | None, changed: list[Finding], estimate: Estimate
    ) -> None:
        self.update = update
        self.changed = changed
        self.estimate = estimate


def observe(
    eta: EtaState,
    t: float,
    lat: float | None,
    lon: float | None,
    tilt_deg: float | None,
    config: EtaConfig,
    *,
    tilt_limit_deg: float,
) -> None:
    """Take one reading (epoch seconds, location, tilt) into the shipment's track.

    A fix that may change the fixes other than in order on an exact state first has the
    known estimates keyed (``_Known``): a late one leaves the state to replay, which may
    take them."""
    exact = eta.exact_t
    if lat is not None and lon is not None and (exact is None or t <= exact):
        for k in eta.known:
            k.fixes_key()
    eta.track.observe(
        t,
        lat,
        lon,
        tilt_deg,
        tilt_limit_deg=tilt_limit_deg,
        tilt_max_gap_s=config.tilt_max_gap_s,
        max_fixes=config.max_fixes,
    )


def hold_end(manifest: ShipmentManifest, tilted_s: float, config: EtaConfig) -> float | None:
    """When the dry shipper's hold runs out: charged + rated x derating - tilt penalty.

    The remaining hold time at ``now`` is ``hold_end - now``; None without a shipper.
    """
    shipper = manifest.shipper
    if shipper is None:
        return None
    rated_s = shipper.rated_hold_h * 3600.0
    loss = min(config.tilt_hold_loss_per_h * tilted_s / 3600.0, config.tilt_hold_loss_max)
    return shipper.charged_at.timestamp() + rated_s * config.hold_derating - rated_s * loss


def late_risk(p50: float, p90: float, promised_end: float) -> str:
    """``late_p50`` (median past the promised end), ``late_p90`` (only the pessimistic
    ETA past it) or ``on_time``."""
    if p50 > promised_end:
        return "late_p50"
    if p90 > promised_end:
        return "late_p90"
    return "on_time"


def refresh(
    eta: EtaState,
    manifest: ShipmentManifest,
    custody: Sequence[CompactCustody],
    config: EtaConfig,
    now: float,
) -> EtaResult:
    """Recompute the ETA at ``now`` (newest event time); the update to publish and the
    ETA findings that changed.

    A state kept exact that was derived at ``now`` from these very inputs (the batch's
    refresh after its last event's ``derive``: the newest known estimate matches them) only
    publishes: the episodes are what that derive left, and deriving again at the same
    inputs would change nothing."""
    known = eta.known
    if eta.exact_t == now and known:
        last = known[-1]
        if last.matches(manifest, eta.track, custody, config, now):
            hold = hold_end(manifest, eta.track.tilted_s, config)
            return EtaResult(_publish(eta, manifest, last.est, hold, config, now), [], last.est)
    est, changed, hold = _step(eta, manifest, custody, config, now)
    return EtaResult(_publish(eta, manifest, est, hold, config, now), changed, est)


def derive(
    eta: EtaState,
    manifest: ShipmentManifest,
    custody: Sequence[CompactCustody],
    config: EtaConfig,
    now: float,
) -> None:
    """Bring the ETA alert episodes up to ``now`` without publishing (the refresh of an
    ``exact_t`` state's event waits for its batch): a replay derives after every event, so
    the state stays what a replay would leave. The batch's ``refresh`` takes the estimate."""
    _step(eta, manifest, custody, config, now)


def _step(
    eta: EtaState,
    manifest: ShipmentManifest,
    custody: Sequence[CompactCustody],
    config: EtaConfig,
    now: float,
) -> tuple[Estimate, list[Finding], float | None]:
    """``_derive`` at ``now`` in order; its estimate kept for replays and refreshes at the
    same inputs (``known``)."""
    known = eta.known
    est, changed, hold = _derive(eta, manifest, custody, config, now, known)
    if eta.exact_t is not None:
        eta.exact_t = now
    for k in known:
        if k.est is est:
            break
    else:  # a new estimate (a loop, not all() over a generator: this runs at every reading)
        exact = eta.exact_t is not None
        kept = KNOWN_EXACT if exact else KNOWN
        snapshot = _custody_copy(known, custody)
        # the oldest, if about to be dropped, takes the new estimate in place
        held = known.pop(0) if len(known) >= kept else _Known()
        known.append(held.take(now, manifest, config, eta.track, snapshot, est, keyed=not exact))
        if len(known) > kept:
            del known[:-kept]
    return est, changed, hold


def _custody_copy(known: list[_Known], custody: Sequence[CompactCustody]) -> list[CompactCustody]:
    """The custody events as a list no one changes: the newest known estimate's when equal
    (custody events are rare beside readings), else a new copy."""
    if known:
        previous = known[-1].custody
        if previous == custody:
            return previous
    return list(custody)


def mark_late(eta: EtaState, t: float) -> None:
    """A late event at ``t`` arrived: replay before trusting the episodes again; the
    checkpoints it makes stale are dropped."""
    eta.dirty = True
    eta.exact_t = None
    _drop_marks(eta, t)


def begin_exact(eta: EtaState) -> None:
    """``eta`` is new and about to be derived at its manifest's creation with no event yet:
    where every replay starts (``exact_t``). Events held until the manifest came are taken in
    after that derive, each kept exact by ``in_order`` as any other."""
    eta.exact_t = -math.inf


def in_order(eta: EtaState, t: float) -> None:
    """An event at ``t``, not before the newest, is being taken in (derived now, or refreshed
    after the batch). The state stays ``exact_t`` only if ``t`` is later than every earlier
    event (a replay orders events at one time by kind and id, not by arrival). A mark at
    ``t`` or later (an exact settle leaves one at the newest time) would miss this event: it
    is dropped."""
    exact = eta.exact_t
    if exact is not None and t <= exact:
        eta.exact_t = None
    _drop_marks(eta, t)


def _drop_marks(eta: EtaState, t: float) -> None:
    """Drop the marks at ``t`` or later: a replay resuming there would miss an event at ``t``."""
    marks = eta.marks
    while marks and marks[-1][0] >= t:
        marks.pop()


ESTIMATED: list[float] | None = None
"""Set to a list, the time of every estimate computed (not taken from ``known``) is appended:
what tests see the caches save by (``alerts.testing.estimates_made``). Compiled (see
``alerts.compiled``), this module calls ``estimate`` directly: patching it counts nothing."""


MARK_EVERY = 4
"""Refreshes between two replay checkpoints. A live worker settles a shipment every few
readings, and each settle replays from the last mark: every 16 (before session 8) it replayed
about 8 old events per settle; every 4 the settle costs half the CPU (bench_pipeline_core,
settling every 2 batches: 391 / 364 -> 193 / 204 µs per reading, outputs byte-identical)."""
MAX_MARKS = 4
"""Checkpoints kept (late events are mostly minutes late): they reach ``MARK_EVERY`` x 4
events back; a reading later than that replays from the start of the history."""


def _checkpoint(eta: EtaState, now: float, *, complete: bool) -> None:
    """Count one replayed event; every ``MARK_EVERY`` leave a mark at ``now`` if the replay
    has folded exactly the events up to ``now`` (``complete``: the next one is later). A
    replay resuming there takes the events after ``now``: a mark left among events at one
    time, or while the clock stays at ``created_at`` over earlier readings, would lose some."""
    eta.since_mark += 1
    if eta.since_mark < MARK_EVERY or not complete:
        return
    eta.since_mark = 0
    marks = eta.marks
    marks.append((now, eta.copy()))
    if len(marks) > MAX_MARKS:
        del marks[0]


def rederive(
    eta: EtaState,
    manifest: ShipmentManifest,
    readings: Sequence[CompactReading],
    custody: Sequence[CompactCustody],
    config: EtaConfig,
    *,
    tilt_limit_deg: float,
    base: EtaState | None = None,
    base_t: float | None = None,
) -> tuple[EtaState, EtaResult]:
    """Rebuild the ETA state by replaying every event in event-time order.

    The ETA alert episodes then depend only on which events there are, not on the order
    they arrived in (late readings are placed by their own time and the ETA alerts
    corrected, as every other alert). The replay starts at the manifest's ``created_at``
    or, once readings were evicted from the history, from ``base`` (the state after every
    event up to ``base_t``, see ``fold_evicted``) and refreshes after each event; only the
    final window is published, and only when it differs meaningfully from the last
    published one. The result's ``changed`` is empty: the caller reconciles ``findings()``
    of the new state completely.

    A state known to be what this replay would leave (``exact_t``: its events came in order
    and each was derived as it came) is taken as it is, without replaying.
    """
    exact = eta.exact_t
    if exact is not None and math.isfinite(exact) and not (eta.dirty or eta.stale):
        return eta, _as_replayed(eta, manifest, custody, config, exact)
    # a mark before ``base_t`` would need readings the history no longer has
    marks = [m for m in eta.marks if not m[1].dirty and (base_t is None or m[0] >= base_t)]
    derived = False
    if marks:
        now, start = marks[-1][0], marks[-1][1].copy()
        start.marks = marks
        readings = readings[_upto(readings, now) :]
        derived = True  # a mark is left after the derive at its time
    elif base is None or base_t is None:
        start, now = EtaState(), manifest.created_at.timestamp()
        _derive(start, manifest, [], config, now)
    else:
        start, now = base.copy(), base_t
    start.last = eta.last
    start.known = eta.known  # the refreshes' estimates serve the next settle's replay too
    now, est, hold = _replay(
        start, now, manifest, readings, custody, None, config, tilt_limit_deg, eta.known, derived
    )
    update = _publish(start, manifest, est, hold, config, now)
    start.exact_t = now
    return start, EtaResult(update, [], est)


def _as_replayed(
    eta: EtaState,
    manifest: ShipmentManifest,
    custody: Sequence[CompactCustody],
    config: EtaConfig,
    now: float,
) -> EtaResult:
    """``rederive`` of an ``exact_t`` state: the state itself, its estimate (the last
    refresh's), and a mark at ``now`` where a replay after a late event can resume."""
    est = _estimate(eta, manifest, custody, config, now, eta.known)
    hold = hold_end(manifest, eta.track.tilted_s, config)
    eta.refreshed_t = None  # as in a replay's new state: the next event refreshes at once
    marks = eta.marks
    if not marks or marks[-1][0] < now:
        mark = eta.copy()
        mark.unsettled = False  # settled by this call, as a replay's marks are
        marks.append((now, mark))
        if len(marks) > MAX_MARKS:
            del marks[0]
    return EtaResult(_publish(eta, manifest, est, hold, config, now), [], est)


def _upto(readings: Sequence[CompactReading], t: float) -> int:
    """How many ``readings`` are at or before ``t`` (a ``History`` knows without decoding)."""
    if isinstance(readings, History):
        return readings.upto(t)
    return bisect_right(readings, t, key=lambda r: r.t)


def fold_evicted(
    base: EtaState | None,
    base_t: float | None,
    manifest: ShipmentManifest,
    evicted: Sequence[CompactReading],
    custody: Sequence[CompactCustody],
    config: EtaConfig,
    *,
    tilt_limit_deg: float,
) -> tuple[EtaState, float]:
    """The replay start after readings leave the history: ``base`` moved on over the
    ``evicted`` readings and the custody events up to the last of them."""
    if base is None or base_t is None:
        state, now = EtaState(), manifest.created_at.timestamp()
        _derive(state, manifest, [], config, now)
    else:
        state, now = base.copy(), base_t
    until = max((r.t for r in evicted), default=now)
    now, _, _ = _replay(state, now, manifest, evicted, custody, until, config, tilt_limit_deg)
    return state, now


def _replay(
    eta: EtaState,
    now: float,
    manifest: ShipmentManifest,
    readings: Sequence[CompactReading],
    custody: Sequence[CompactCustody],
    until: float | None,
    config: EtaConfig,
    tilt_limit_deg: float,
    known: Sequence[_Known] = (),
    derived: bool = False,
) -> tuple[float, Estimate, float | None]:
    """Fold ``readings`` and the custody events after ``now`` (up to ``until``) into ``eta``
    in event-time order, refreshing after each; the final time, estimate and hold end.
    ``known``: estimates to take when their inputs recur (see ``EtaState.known``).
    ``derived``: ``eta`` is already derived at ``now`` from the events up to it (a mark's
    copy): deriving again there would change nothing, so only an empty replay does."""
    seen = [c for c in custody if c.t <= now]
    later = [c for c in custody if c.t > now and (until is None or c.t <= until)]
    merged = sorted(
        [(r.t, 0, r.event_id, i) for i, r in enumerate(readings)]
        + [(c.t, 1, c.event_id, i) for i, c in enumerate(later)]
    )
    if not (derived and merged):
        est, _, hold = _derive(eta, manifest, seen, config, now, known)
    for j, (t, kind, _, i) in enumerate(merged, 1):
        if kind == 0:
            r = readings[i]
            observe(eta, t, r.lat, r.lon, r.tilt_deg, config, tilt_limit_deg=tilt_limit_deg)
        else:
            seen.append(later[i])
        now = max(now, t)
        est, _, hold = _derive(eta, manifest, seen, config, now, known)
        _checkpoint(eta, now, complete=j < len(merged) and merged[j][0] > now)
    return now, est, hold


def _derive(
    eta: EtaState,
    manifest: ShipmentManifest,
    custody: Sequence[CompactCustody],
    config: EtaConfig,
    now: float,
    known: Sequence[_Known] = (),
) -> tuple[Estimate, list[Finding], float | None]:
    """The estimate at ``now`` (one of ``known`` if computed from the same inputs), with
    the ETA alert episodes brought up to date."""
    est = _estimate(eta, manifest, custody, config, now, known)
    end = manifest.promised_window.end.timestamp()
    hold = hold_end(manifest, eta.track.tilted_s, config)
    track = eta.track
    where = (track.lats[-1], track.lons[-1]) if track.ts else None
    episodes = _Episodes(eta, now, where, config.max_episodes)
    arrived = est.arrived_at
    if arrived is not None:
        late_by = arrived - end
        for kind in list(eta.open):
            extra = {"arrived_at": arrived}
            if kind == "late_delivery_risk":
                extra["late_by_s"] = max(late_by, 0.0)
            episodes.close(kind, arrived, extra)
    else:
        _late(episodes, est, late_risk(est.p50, est.p90, end), end, config)
        _hold(episodes, est, hold, config)
        _dwell(episodes, est)
    return est, episodes.changed, hold


def _estimate(
    eta: EtaState,
    manifest: ShipmentManifest,
    custody: Sequence[CompactCustody],
    config: EtaConfig,
    now: float,
    known: Sequence[_Known],
) -> Estimate:
    """The estimate at ``now``: one of ``known`` if computed from the same inputs."""
    track = eta.track
    for k in known:
        if k.matches(manifest, track, custody, config, now):
            return k.est
    est = estimate(manifest, track, custody, config, now)
    if ESTIMATED is not None:
        ESTIMATED.append(now)
    return est


def _publish(
    eta: EtaState,
    manifest: ShipmentManifest,
    est: Estimate,
    hold: float | None,
    config: EtaConfig,
    now: float,
) -> EtaUpdate | None:
    """The update to publish, when the window or the risk state changed meaningfully."""
    risk = late_risk(est.p50, est.p90, manifest.promised_window.end.timestamp())
    arrived = est.arrived_at
    state = [risk, "hold_time_risk" in eta.open, "dwell_exceeded" in eta.open, arrived is not None]
    if not _meaningful(eta.last, est, state, now, config):
        return None
    eta.last = [est.p50, est.p90, state]
    details: dict[str, Any] = {"phase": est.phase, "leg": est.leg, **est.details}
    if hold is not None:
        details["hold_remaining_h"] = round((hold - now) / 3600.0, 2)
        details["hold_risk"] = state[1]
    if est.dwell is not None:
        details["dwell_site_id"] = est.dwell.site_id
        details["dwell_exceeded"] = state[2]
    if arrived is not None:
        details["arrived_at"] = to_datetime(arrived).isoformat().replace("+00:00", "Z")
    return EtaUpdate(
        shipment_id=manifest.shipment_id,
        computed_at=to_datetime(now),
        eta_p50=to_datetime(est.p50),
        eta_p90=to_datetime(est.p90),
        remaining_km=None if est.remaining_km is None else round(est.remaining_km, 2),
        speed_kmh=None if est.speed_kmh is None else round(max(est.speed_kmh, 0.0), 1),
        promised_end=manifest.promised_window.end,
        risk=risk,
        details=details,
    )


def _meaningful(
    last: list[Any] | None, est: Estimate, state: list[Any], now: float, config: EtaConfig
) -> bool:
    if last is None or last[2] != state:
        return True
    to_go = max(est.p50 - now, 0.0)
    shift = min(max(config.shift_ratio * to_go, config.min_shift_s), config.max_shift_s)
    return bool(abs(est.p50 - last[0]) >= shift or abs(est.p90 - last[1]) >= shift)


class _Episodes:
    """Opens, escalates and closes the ETA findings of one refresh.

    ``changed`` holds copies: the open findings in the state keep changing afterwards.
    """

    def __init__(
        self, eta: EtaState, now: float, where: tuple[float, float] | None, max_episodes: int
    ) -> None:
        self.eta = eta
        self.max_episodes = max_episodes
        self.now = now
        self.where = where
        self.changed: list[Finding] = []

    def open(self, kind: str, details: dict[str, Any], since: float | None = None) -> None:
        current = self.eta.open.get(kind)
        if current is not None:
            if current.details.get("severity") != details.get("severity"):
                current.details = {**current.details, **details}
                current.updated_at = self.now
                self.changed.append(replace(current))
            return
        if self.eta.episodes >= self.max_episodes:
            return
        self.eta.episodes += 1
        opened = self.now if since is None else min(since, self.now)
        finding = Finding(
            kind,
            f"eta@{opened:.3f}",
            opened,
            self.now,
            None,
            details,
            self.where,
            self.now,
        )
        self.eta.open[kind] = finding
        self.changed.append(replace(finding))

    def close(self, kind: str, at: float, extra: dict[str, Any] | None = None) -> None:
        current = self.eta.open.pop(kind, None)
        if current is None:
            return
        at = max(at, current.opened_at)
        current.resolved_at = at
        current.updated_at = max(at, current.updated_at)
        if extra:
            current.details = {**current.details, **extra}
        self.eta.closed.append(current)
        self.changed.append(replace(current))


def _late(episodes: _Episodes, est: Estimate, risk: str, end: float, config: EtaConfig) -> None:
    from_p90 = config.late_alert_from == "late_p90"
    watched = est.p90 if from_p90 else est.p50
    opens = risk == "late_p50" or (from_p90 and risk == "late_p90")
    if opens:
        episodes.open(
            "late_delivery_risk",
            {
                "severity": "critical" if risk == "late_p50" else "warning",
                "risk": risk,
                "promised_end_at": end,
                "eta_p50_at": est.p50,
                "eta_p90_at": est.p90,
            },
        )
    elif watched <= end - config.risk_clear_margin_s:
        episodes.close("late_delivery_risk", episodes.now)


def _hold(episodes: _Episodes, est: Estimate, hold: float | None, config: EtaConfig) -> None:
    if hold is None:
        return
    needed = est.p90 + config.receipt_buffer_s
    if needed > hold:
        episodes.open(
            "hold_time_risk",
            {
                "hold_end_at": hold,
                "eta_p90_at": est.p90,
                "receipt_buffer_s": config.receipt_buffer_s,
                "hold_remaining_h": round((hold - episodes.now) / 3600.0, 2),
            },
        )
    elif needed <= hold - config.risk_clear_margin_s:
        episodes.close("hold_time_risk", episodes.now)


def _dwell(episodes: _Episodes, est: Estimate) -> None:
    current = episodes.eta.open.get("dwell_exceeded")
    dwell = est.dwell
    if current is not None and (dwell is None or dwell.leg != current.details.get("leg")):
        left = est.departures.get(int(current.details.get("leg", -1)), episodes.now)
        episodes.close("dwell_exceeded", min(left, episodes.now))
    if dwell is not None and episodes.now > dwell.norm_until:
        episodes.open(
            "dwell_exceeded",
            {
                "site_id": dwell.site_id,
                "leg": dwell.leg,
                "dwell_since_at": dwell.since,
                "norm_until_at": dwell.norm_until,
            },
            since=dwell.since,
        )
