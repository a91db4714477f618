"""The rule engine: ``apply(state, event, config)``, ``tick(state, now, config)``, ``settle``; pure."""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from alerts.config import RuleConfig
from alerts.custody_checks import compact_custody, custodian_at, custody_findings
from alerts.device import ongoing_silence
from alerts.eta import ETA_ALERT_SEVERITIES
from alerts.eta import begin_exact as eta_begin_exact
from alerts.eta import derive as eta_derive
from alerts.eta import fold_evicted as eta_fold_evicted
from alerts.eta import in_order as eta_in_order
from alerts.eta import mark_late as eta_mark_late
from alerts.eta import observe as eta_observe
from alerts.eta import rederive as eta_rederive
from alerts.eta import refresh as eta_refresh
from alerts.findings import Finding
from alerts.fold import ReadingFold, settled_at
from alerts.lifecycle import Custodian
from alerts.pending import PendingIndex
from alerts.readings import compact
from alerts.rules import RuleSet, rules_for
from alerts.state import PendingEvent, ShipmentState
from alerts.transit import departure_and_delivery, transit_finding
from schemas.alert import ALERT_TYPES, Alert
from schemas.custody import CustodyEvent
from schemas.deadletter import DeadLetter, FieldError
from schemas.eta import EtaUpdate
from schemas.manifest import ShipmentManifest
from schemas.telemetry import TelemetryReading

__all__ = ["DEFERRED_TYPES", "Event", "Step", "apply", "refresh_eta", "settle", "tick"]

Event = ShipmentManifest | TelemetryReading | CustodyEvent
"""What the engine consumes (``schemas.decode`` output)."""

_TOPIC = {TelemetryReading: "telemetry", CustodyEvent: "custody"}

MARK_EVERY = 32
"""Readings between two fold checkpoints (see ``_refold``). A shipment keeps them only once it
placed a late reading: the first one refolds from ``base``, leaving checkpoints that in-order
readings then keep up. One whose readings all came in order never needs them (a cut folds
the evicted readings into ``base`` instead of starting at one), and at 100 readings they were
1.6 KB of its 19.8 KB of live objects (``benchmarks/bench_state_memory.py``)."""

MAX_MARKS = 8
"""Fold checkpoints kept, the newest: 8 x 32 readings reach 21-43 hours back at a reading
every 5-10 minutes, past most uploads' delay (1-12 hours). Unbounded, they grew with the
history, one fold copy per 32 of its up to 1,000 readings. A reading placed before the oldest
kept one refolds from ``base``; a refold runs to the history's end anyway, so that costs at
most the whole history, not more than twice what the nearest checkpoint would have."""

DEFERRED_TYPES = frozenset({"logger_silent", "sequence_gap"})
"""Alert types held back while late readings are being placed.

A burst of late readings (a logger uploading after an outage, often in any order) makes
silences and sequence gaps appear and vanish with nearly every reading. While readings
arrive late these types are not reconciled; the next in-order reading, ``tick`` or
``settle`` brings them up to date in one step. Temperature, device and custody alerts are
always reconciled at once."""

ETA_TYPES = frozenset(ETA_ALERT_SEVERITIES)
"""ETA alert types: reconciled only when the shipment settles, from an event-time replay."""

_NOT_ETA = frozenset(ALERT_TYPES) - ETA_TYPES


@dataclass(init=False, slots=True)
class Step:
    """The result of one ``apply`` or ``tick``: the new state and what to publish.

    ``eta``: ETA updates for the eta topic (only on a meaningful change; see ``alerts.eta``).
    """

    state: ShipmentState | None
    alerts: list[Alert]
    dead_letters: list[DeadLetter]
    eta: list[EtaUpdate]

    # written out, not generated: compiled (``alerts.compiled``) a dataclass's generated
    # ``__init__`` still runs as Python, and two steps are made per reading
    def __init__(
        self,
        state: ShipmentState | None,
        alerts: list[Alert] | None = None,
        dead_letters: list[DeadLetter] | None = None,
        eta: list[EtaUpdate] | None = None,
    ) -> None:
        self.state = state
        self.alerts = [] if alerts is None else alerts
        self.dead_letters = [] if dead_letters is None else dead_letters
        self.eta = [] if eta is None else eta


class _Out:
    """What one ``apply`` collects to publish."""

    def __init__(self, *, eta_now: bool = True) -> None:
        self.alerts: list[Alert] = []
        self.dead_letters: list[DeadLetter] = []
        self.eta: list[EtaUpdate] = []
        self.eta_now = eta_now


def apply(
    state: ShipmentState | None,
    event: Event,
    config: RuleConfig,
    *,
    received_at: datetime | None = None,
    eta_now: bool = True,
) -> Step:
    """Fold one decoded event into its shipment's state.

    ``state`` is the shipment's state or None for a shipment not seen yet; it is updated in
    place and returned. ``received_at`` only stamps engine dead letters (default: the
    event's own time). The result depends only on the state and the event: no clock, no I/O.
    With ``eta_now`` false the ETA is refreshed after an in-order event only once the event
    time has moved ``EtaConfig.batch_refresh_s`` past the last refresh; the caller calls
    ``refresh_eta`` once for the shipment after its batch (live, one estimate per batch;
    a backlog still gets one per half hour of trip; ETA alerts are unaffected, see ``settle``).
    """
    if state is None:
        state = ShipmentState(event.shipment_id)
    out = _Out(eta_now=eta_now)
    if isinstance(event, ShipmentManifest):
        _apply_manifest(state, event, config, out)
    elif state.manifest is None:
        _hold(state, event, config, out, received_at)
    elif isinstance(event, TelemetryReading):
        _apply_reading(state, event, config, out, received_at)
    else:
        _apply_custody(state, event, config, out, received_at)
    return Step(state, out.alerts, out.dead_letters, out.eta)


def settle(state: ShipmentState | None, config: RuleConfig) -> Step:
    """Reconcile alerts held back while late readings arrived (see ``DEFERRED_TYPES``).

    The offline runner calls it at the end of a recording; ``tick`` does it live.
    """
    if state is None or state.manifest is None or not _unsettled(state):
        return Step(state)
    out = _Out()
    _settle(state, config, out)
    return Step(state, out.alerts, out.dead_letters, out.eta)


def _settle(state: ShipmentState, config: RuleConfig, out: _Out) -> None:
    """End a wait for late readings (everything reconciled), or settle only the ETA."""
    assert state.manifest is not None
    if state.deferred:
        _full_reconcile(state, rules_for(state.manifest, config), out, settle=True, config=config)
        return
    _rederive_eta(state, config, out)
    _reconcile(state, state.eta.findings(), complete=True, out=out, skip=_NOT_ETA)


def refresh_eta(state: ShipmentState | None, config: RuleConfig) -> Step:
    """The ETA refresh that ``apply(..., eta_now=False)`` left for after the batch."""
    if state is None or state.manifest is None or not state.eta.stale:
        return Step(state)
    out = _Out()
    _eta(state, config, out)
    return Step(state, out.alerts, out.dead_letters, out.eta)


def _unsettled(state: ShipmentState) -> bool:
    """Alerts wait for ``settle``: deferred types during late bursts, or the ETA alerts."""
    return state.deferred or state.eta.dirty or state.eta.unsettled


def tick(state: ShipmentState | None, now: datetime, config: RuleConfig) -> Step:
    """Advance the live clock: ongoing logger silence, transit time, pending timeouts.

    Offline replay never ticks; live workers call it periodically with the wall clock. The
    clock only moves forward.
    """
    if state is None:
        return Step(None)
    out = _Out()
    t = now.timestamp()
    state.clock = t if state.clock is None else max(state.clock, t)
    if state.manifest is None:
        limit = state.clock - config.pending_max_age_s
        _expire_pending(state, lambda item: item[1] < limit, "manifest_timeout", out, now)
        return Step(state, out.alerts, out.dead_letters)
    rules = rules_for(state.manifest, config)
    if _unsettled(state):
        _settle(state, config, out)
        return Step(state, out.alerts, out.dead_letters, out.eta)
    changed = [f for f in (_ongoing_silence(state, rules), _transit(state, rules)) if f]
    if changed:
        _reconcile(state, changed, complete=False, out=out)
    return Step(state, out.alerts, out.dead_letters)


# -- manifest and pending ----------------------------------------------------------------------


def _apply_manifest(
    state: ShipmentState, manifest: ShipmentManifest, config: RuleConfig, out: _Out
) -> None:
    previous = state.manifest
    if previous == manifest:
        return
    state.manifest = manifest
    if previous is not None:
        _refold(state, rules_for(manifest, config))
        _recheck_custody(state)
        state.eta.marks = []  # derived under the previous manifest
        state.eta.exact_t = None
        state.eta.unsettled = True
        _full_reconcile(state, rules_for(manifest, config), out, settle=True, config=config)
        return
    held, state.pending = state.pending, []
    state.held = None  # nothing is held once the manifest is here
    # derived at creation with no event yet, where a replay starts: the events held until
    # now then keep the state what a replay leaves while each is later than the one before
    eta_begin_exact(state.eta)
    if held:
        eta_derive(state.eta, manifest, [], config.eta, manifest.created_at.timestamp())
    for topic, _, _, text in held:
        if topic == "telemetry":
            _apply_reading(state, TelemetryReading.model_validate_json(text), config, out, None)
        else:
            _apply_custody(state, CustodyEvent.model_validate_json(text), config, out, None)
    _eta(state, config, out)
    _full_reconcile(state, rules_for(manifest, config), out, settle=False)


def _hold(
    state: ShipmentState,
    event: TelemetryReading | CustodyEvent,
    config: RuleConfig,
    out: _Out,
    received_at: datetime | None,
) -> None:
    """Keep an event until the manifest arrives, within the count and age bounds."""
    held = state.held
    if held is None:  # made for the first held event only: most states never hold one
        state.held = held = PendingIndex()
    index = held.of(state.pending)  # O(1) per held event, not three scans of the list
    if event.event_id in index.ids:
        return
    t = _event_time(event).timestamp()
    index.add([_TOPIC[type(event)], t, event.event_id, event.model_dump_json()])
    limit = index.newest - config.pending_max_age_s
    stamp = received_at or _event_time(event)
    if index.oldest < limit:
        _expire_pending(state, lambda item: item[1] < limit, "manifest_timeout", out, stamp)
    while len(state.pending) > config.max_pending_per_shipment:
        oldest = state.pending.pop(0)
        index.items = None  # stale: rebuilt at the next held event
        out.dead_letters.append(
            _dead_letter(
                oldest[0],
                state.shipment_id,
                oldest[3],
                "pending_overflow",
                f"more than {config.max_pending_per_shipment} events held without a manifest",
                stamp,
            )
        )


def _expire_pending(
    state: ShipmentState,
    expired: Callable[[PendingEvent], bool],
    reason: str,
    out: _Out,
    stamp: datetime,
) -> None:
    keep = []
    for item in state.pending:
        if expired(item):
            out.dead_letters.append(
                _dead_letter(
                    item[0],
                    state.shipment_id,
                    item[3],
                    reason,
                    "held too long without a shipment manifest",
                    stamp,
                )
            )
        else:
            keep.append(item)
    state.pending = keep


# -- readings ----------------------------------------------------------------------------------


def _apply_reading(
    state: ShipmentState,
    reading: TelemetryReading,
    config: RuleConfig,
    out: _Out,
    received_at: datetime | None,
) -> None:
    seen = state.seen
    if reading.event_id in seen:
        return
    assert state.manifest is not None
    rules = rules_for(state.manifest, config)
    r = compact(reading)
    history = state.history
    last = history.last_key
    problem = None
    if last is not None and r.t < last[0] - config.max_lateness_s:
        problem = f"recorded more than {config.max_lateness_s:g} s before the newest reading"
    elif state.floor is not None and r.sort_key <= state.floor:
        problem = "recorded before the oldest reading still kept for this shipment"
    if problem is not None:
        out.dead_letters.append(
            _dead_letter(
                "telemetry",
                state.shipment_id,
                reading.model_dump_json(),
                "too_late",
                problem,
                received_at or reading.recorded_at,
            )
        )
        return
    _remember(state, reading.event_id, config)
    eta_observe(
        state.eta, r.t, r.lat, r.lon, r.tilt_deg, config.eta, tilt_limit_deg=config.tilt_deg
    )
    if state.latest_t is None or r.t > state.latest_t:
        state.latest_t = r.t
    if last is None or r.sort_key > last:
        history.append(r)
        changed = state.fold.step(r, rules)
        marks = state.marks
        if marks:  # kept on only once a late reading was placed (``_refold``)
            state.since_mark += 1
            if state.since_mark >= MARK_EVERY:
                marks.append((r.sort_key, state.fold.frozen()))
                if len(marks) > MAX_MARKS:
                    del marks[0]
                state.since_mark = 0
        _evict(state, rules, config)
        found = _transit(state, rules)
        if found is not None:
            changed.append(found)
        _eta(state, config, out, at=r.t)
        if state.deferred:
            _full_reconcile(state, rules, out, settle=True)
        elif changed:
            _reconcile(state, changed, complete=False, out=out)
        return
    history.place(r)
    _refold(state, rules, r.sort_key)  # first: drops the checkpoints the reading made stale
    state.deferred = True  # before the cut: nothing retires before the book is reconciled
    _evict(state, rules, config)
    _eta(state, config, out, late=r.t)
    _full_reconcile(state, rules, out, settle=False)


def _evict(state: ShipmentState, rules: RuleSet, config: RuleConfig) -> None:
    """Cut the history back to the bounds; ``base`` becomes the fold up to the cut (``floor``).

    The cut happens once the history exceeds the readings' bound by an eighth, so that
    ``base`` can usually start from a checkpoint instead of folding every evicted reading
    again, or once the episodes exceed theirs by an eighth (``_episode_cut``); then, unless
    late readings still wait for the book (``deferred``), the episodes settled before the cut
    retire (``_retire``). Which readings are cut depends only on the readings, never on the
    checkpoints (a runtime cache), so a restored state evicts exactly as the original would
    have. Readings older than the lateness bound stay until a bound evicts them: the lateness
    check does not need them gone, and a shipment within the bounds never pays for ``base``.
    """
    history = state.history
    bound = config.max_readings_per_shipment
    excess = len(history) - bound
    if excess <= bound // 8:
        excess = 0 if state.deferred else _episode_cut(state, config)
        if excess <= 0:
            return
    evicted = history[:excess]  # decoded once (most kept readings are JSON text)
    floor = evicted[-1].sort_key
    marks = state.marks
    start = 0
    while marks and marks[0][0] <= floor:
        key, frozen = marks.pop(0)
        if not marks or marks[0][0] > floor:  # the newest checkpoint at or before the cut
            state.base = ReadingFold.thawed(frozen)
            start = history.after(key)
    for r in evicted[start:]:
        state.base.step(r, rules)
    state.floor = floor
    if state.manifest is not None:
        state.eta_base, state.eta_base_t = eta_fold_evicted(
            state.eta_base,
            state.eta_base_t,
            state.manifest,
            evicted,
            state.custody,
            config.eta,
            tilt_limit_deg=config.tilt_deg,
        )
    history.evict(excess)
    if not state.deferred:
        _retire(state, floor[0])


def _episode_cut(state: ShipmentState, config: RuleConfig) -> int:
    """Readings to cut so that the episodes the fold keeps fall to their bound (0: none):
    every reading up to the oldest settled ones that must go (``fold.settled_at``), and the
    one after, so that the cut's time is past them."""
    limit = config.max_episodes_per_shipment
    findings = state.fold.findings
    if len(findings) <= limit + limit // 8:
        return 0
    ends = sorted(end for f in findings.values() if (end := settled_at(f)) is not None)
    need = min(len(findings) - limit, len(ends))
    if need <= 0:
        return 0
    history = state.history
    return min(history.upto(ends[need - 1]) + 1, len(history) - 1)


def _retire(state: ShipmentState, before: float) -> None:
    """Drop the episodes settled before ``before`` (the cut's time; the book reconciled) from
    both folds, their checkpoints and the alert book (``fold.settled_at``): every reading
    after the cut sorts after them, so none can change them. Their last alert versions went
    out already."""
    retired = state.fold.retire(before)
    retired |= state.base.retire(before)
    state.book.retire(retired, before)
    if retired:
        state.marks = [
            (key, (text, tuple(f for f in findings if f.key not in retired)))
            for key, (text, findings) in state.marks
        ]


def _refold(state: ShipmentState, rules: RuleSet, after: tuple[float, str] | None = None) -> None:
    """Recompute ``fold`` from the latest checkpoint before ``after`` (None: from ``base``).

    Checkpoints (``state.marks``, a runtime cache) are the fold frozen
    (``ReadingFold.frozen``) every ``MARK_EVERY`` readings, the newest ``MAX_MARKS`` kept,
    so placing a late reading costs the readings after it, not the whole history (but for a
    shipment's first late reading: in-order readings leave no checkpoints, ``MARK_EVERY``).
    """
    marks = state.marks
    if after is None:
        marks.clear()
    else:
        while marks and marks[-1][0] >= after:
            marks.pop()
    history = state.history
    if marks:
        key, start = marks[-1]
        fold = ReadingFold.thawed(start)
        first = history.after(key)
    else:
        fold = state.base.copy()
        first = 0
    since = 0
    for r in history[first:]:
        fold.step(r, rules)
        since += 1
        if since >= MARK_EVERY:
            marks.append((r.sort_key, fold.frozen()))
            since = 0
    del marks[:-MAX_MARKS]
    state.fold = fold
    state.since_mark = since


# -- custody -----------------------------------------------------------------------------------


def _apply_custody(
    state: ShipmentState,
    event: CustodyEvent,
    config: RuleConfig,
    out: _Out,
    received_at: datetime | None,
) -> None:
    if event.event_id in state.seen:
        return
    if len(state.custody) >= config.max_custody_events:
        out.dead_letters.append(
            _dead_letter(
                "custody",
                state.shipment_id,
                event.model_dump_json(),
                "custody_overflow",
                f"more than {config.max_custody_events} custody events",
                received_at or event.occurred_at,
            )
        )
        return
    _remember(state, event.event_id, config)
    c = compact_custody(event)
    insort(state.custody, c, key=lambda item: item.sort_key)
    late = state.latest_t is not None and c.t < state.latest_t
    if state.latest_t is None or c.t > state.latest_t:
        state.latest_t = c.t
    _recheck_custody(state)
    assert state.manifest is not None
    _eta(state, config, out, late=c.t if late else None, at=c.t)
    _full_reconcile(state, rules_for(state.manifest, config), out, settle=False)


def _recheck_custody(state: ShipmentState) -> None:
    assert state.manifest is not None
    state.departed, state.delivered = departure_and_delivery(
        state.custody, state.manifest.destination.site_id
    )


# -- derivation and reconciliation -------------------------------------------------------------


def _ongoing_silence(state: ShipmentState, rules: RuleSet) -> Finding | None:
    last = state.fold.last_t
    if state.clock is None or last is None or state.clock - last <= rules.silent_after_s:
        return None
    return ongoing_silence(last, rules.silent_after_s, state.fold.last_location)


def _transit(state: ShipmentState, rules: RuleSet) -> Finding | None:
    """The transit finding when it changed since last derived (None otherwise)."""
    if rules.max_transit_s is None:
        return None
    latest = state.latest_t
    if state.clock is not None:
        latest = state.clock if latest is None else max(latest, state.clock)
    found = transit_finding(state.departed, state.delivered, latest, rules.max_transit_s)
    previous = state.transit
    if found is None or (previous is not None and previous.to_list() == found.to_list()):
        return None
    state.transit = found
    return found


def _full_reconcile(
    state: ShipmentState,
    rules: RuleSet,
    out: _Out,
    *,
    settle: bool,
    config: RuleConfig | None = None,
) -> None:
    """Reconcile the whole derivation.

    ``settle`` ends a wait for late readings; otherwise, while one is on (``deferred``), the
    ``DEFERRED_TYPES`` are left as they are. With ``config`` an unsettled ETA is first
    rederived in event time; ETA alerts are reconciled only from such a derivation.
    """
    assert state.manifest is not None
    if settle and config is not None and (state.eta.dirty or state.eta.unsettled):
        _rederive_eta(state, config, out)
    findings = list(state.fold.findings.values())
    findings += custody_findings(state.custody, state.manifest.coi_id)
    findings += state.eta.findings()
    state.transit = None
    for extra in (_transit(state, rules), _ongoing_silence(state, rules)):
        if extra is not None:
            findings.append(extra)
    skip: frozenset[str] = frozenset()
    if settle:
        state.deferred = False
    elif state.deferred:
        skip = DEFERRED_TYPES
    if state.eta.dirty or state.eta.unsettled:
        skip |= ETA_TYPES
    _reconcile(state, findings, complete=True, out=out, skip=skip)


def _reconcile(
    state: ShipmentState,
    findings: list[Finding],
    *,
    complete: bool,
    out: _Out,
    skip: frozenset[str] = frozenset(),
) -> None:
    assert state.manifest is not None
    out.alerts.extend(
        state.book.reconcile(
            findings,
            complete=complete,
            coi_id=state.manifest.coi_id,
            custodian=_custodian(state),
            skip=skip,
        )
    )


def _eta(
    state: ShipmentState,
    config: RuleConfig,
    out: _Out,
    *,
    late: float | None = None,
    at: float | None = None,
) -> None:
    """Bring the ETA up to date with the newest event and publish its update.

    In order, one ``refresh`` at the newest event time; a late event (reading or custody)
    only marks the ETA ``dirty``, and the next in-order event replays the history in event
    time (``rederive``) instead of refreshing. Either way the ETA alerts wait for the shipment to settle
    (``unsettled``): they are reconciled from ``_rederive_eta`` alone, so that they, like
    the others, do not depend on how the two input topics interleaved. ETAs move only with
    events (``tick`` does not advance them). ``at``: the time of the in-order event taken in
    (``alerts.eta.in_order``: while events come in order, each derived as it comes, the
    settle does not replay).
    """
    manifest = state.manifest
    assert manifest is not None
    eta = state.eta
    eta.unsettled = True
    if late is not None:
        eta_mark_late(eta, late)
        return
    if at is not None:
        eta_in_order(eta, at)
    now = manifest.created_at.timestamp()
    if state.latest_t is not None:
        now = max(now, state.latest_t)
    if not out.eta_now:
        eta.stale = True
        refreshed = eta.refreshed_t
        if refreshed is not None and now - refreshed < config.eta.batch_refresh_s:
            # the batch's ``refresh_eta`` (or a later event) publishes; a state a settle
            # would take as it is derives now, as a replay does after every event
            if eta.exact_t is not None:
                eta_derive(eta, manifest, state.custody, config.eta, now)
            return
    eta.stale = False
    if eta.dirty:  # late events made the state stale: replay in event time, alerts wait
        _rederive_eta(state, config, out)
        state.eta.unsettled = True
        state.eta.refreshed_t = now
        return
    result = eta_refresh(eta, manifest, state.custody, config.eta, now)
    eta.refreshed_t = now
    if result.update is not None:
        out.eta.append(result.update)


def _rederive_eta(state: ShipmentState, config: RuleConfig, out: _Out) -> None:
    """Replace the ETA state by its event-time derivation (``alerts.eta.rederive``)."""
    manifest = state.manifest
    assert manifest is not None
    state.eta, result = eta_rederive(
        state.eta,
        manifest,
        state.history,
        state.custody,
        config.eta,
        tilt_limit_deg=config.tilt_deg,
        base=state.eta_base,
        base_t=state.eta_base_t,
    )
    state.eta.dirty = state.eta.unsettled = False
    if result.update is not None:
        out.eta.append(result.update)


def _custodian(state: ShipmentState) -> Custodian:
    handoffs = [c for c in state.custody if c.to_id is not None]
    times = [c.t for c in handoffs]
    return lambda t: custodian_at(handoffs, times, t)


def _remember(state: ShipmentState, event_id: str, config: RuleConfig) -> None:
    """Add an event id to the de-duplication window, forgetting the oldest past the bound."""
    seen = state.seen
    seen.add(event_id)
    if len(seen) > config.max_seen_event_ids:
        seen.popleft()


# -- helpers -----------------------------------------------------------------------------------


def _event_time(event: TelemetryReading | CustodyEvent) -> datetime:
    return event.recorded_at if isinstance(event, TelemetryReading) else event.occurred_at


def _dead_letter(
    topic: str, shipment_id: str, raw: str, reason: str, msg: str, received_at: datetime
) -> DeadLetter:
    loc = "recorded_at" if topic == "telemetry" else "shipment_id"
    return DeadLetter(
        reason=reason,
        errors=[FieldError(loc=loc, msg=msg, type=reason)],
        source_topic=topic,
        key=shipment_id,
        raw=raw,
        received_at=received_at,
    )
