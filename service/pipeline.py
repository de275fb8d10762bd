"""The pipeline: snapshot -> fuse -> identify -> locate -> track -> detect -> notifications.

Identification and location run vectorised over the whole snapshot; per-aircraft Python
work is spent only on the few aircraft some rule selects. Hot state lives here in
memory; after each snapshot the aircraft that changed are saved to the store, so a
restarted pipeline continues every open episode and never produces a notification
twice (the store's notification log has the last word).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import msgspec
import numpy as np
import structlog

from service.alerts.notification import Notification, fingerprint, notification_id
from service.alerts.routing import outbox_items
from service.candidates import CandidateBook
from service.detect.events import Event
from service.detect.rules import RULE_TYPES, has_open_episode, run_rules, selects
from service.identify import Identifier
from service.jumps import Ghost, judge
from service.locate import Boundaries
from service.locate.areas import Areas
from service.locate.nearby import NearbyBorders
from service.metrics import Metrics
from service.models import Position, Snapshot
from service.settings import Receiver, Rule, Settings
from service.store.base import AircraftSave, Store
from service.track import (
    AircraftRecord,
    Identity,
    Track,
    TrackPoint,
    point_decoder,
    point_encoder,
    record_decoder,
)

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class Aircraft:
    """One selected aircraft in memory."""

    identity: Identity
    track: Track
    rule_states: dict[str, msgspec.Struct] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)
    unsaved_points: list[TrackPoint] = field(default_factory=list)
    dirty: bool = False
    ghost: Ghost | None = None  # a stream contradicting the track (service.jumps)


@dataclass(slots=True)
class Stats:
    """Counts for the end-of-run summary."""

    snapshots: int = 0
    skipped_snapshots: int = 0
    positions: int = 0
    notifications: int = 0
    rejected: dict[str, int] = field(default_factory=dict)

    def reject(self, reason: str, count: int = 1) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + count


class Pipeline:
    """Turns snapshots into notifications; one instance per running service."""

    def __init__(
        self,
        settings: Settings,
        identifier: Identifier,
        boundaries: Boundaries,
        store: Store,
        metrics: Metrics,
        areas: Areas | None = None,
    ) -> None:
        """`areas` defaults to the files named in `settings.areas`, read here."""
        self.settings = settings
        self.rules: list[Rule] = [rule for rule in settings.rules if rule.enabled]
        self.rules_by_id = {rule.id: rule for rule in self.rules}
        self.identifier = identifier
        self.boundaries = boundaries
        self.nearby_borders = NearbyBorders(boundaries)
        self.store = store
        self.metrics = metrics
        self.aircraft: dict[str, Aircraft] = {}
        if areas is None:
            areas = Areas.load((area.name, area.path) for area in settings.areas)
        self.areas = areas
        # Weak-evidence aircraft for review (GET /api/candidates, `borderwatch candidates`).
        self.candidates = CandidateBook(settings.identify.candidates_max)
        # Receivers to queue deliveries for; set by the commands that deliver (run,
        # replay --deliver), empty otherwise so printing a replay never queues anything.
        self.receivers: Sequence[Receiver] = ()
        self.stats = Stats()
        self.clock: float | None = None

    async def restore(self) -> None:
        """Load the saved state of every active aircraft and the feed clock."""
        self.clock = await self.store.get_clock()
        for hex_ in sorted(await self.store.active_aircraft()):
            blob = await self.store.load_aircraft(hex_)
            if blob is None:
                continue
            record = record_decoder.decode(blob)
            points = [point_decoder.decode(raw) for raw in await self.store.load_track(hex_)]
            states: dict[str, msgspec.Struct] = {}
            for rule_id, raw in record.rule_states.items():
                rule = self.rules_by_id.get(rule_id)
                if rule is not None:
                    state_type = RULE_TYPES[rule.type].state_type
                    states[rule_id] = msgspec.json.decode(raw, type=state_type)
            self.aircraft[hex_] = Aircraft(
                identity=record.identity,
                track=Track(self.settings.track.max_points, points),
                rule_states=states,
                sequences=dict(record.sequences),
            )
        log.info("state.restored", aircraft=len(self.aircraft), clock=self.clock)

    def reject(self, reason: str, count: int = 1) -> None:
        """Count input dropped before or inside the pipeline."""
        self.stats.reject(reason, count)
        self.metrics.rejected.labels(reason).inc(count)

    async def process(self, snapshot: Snapshot, source: str = "replay") -> list[Notification]:
        """Run one snapshot through every stage; return the new notifications."""
        for reason, count in snapshot.rejected.items():
            self.reject(reason, count)
        if self.clock is not None and snapshot.now <= self.clock:
            # Already processed before a restart (or out of order): never twice.
            self.stats.skipped_snapshots += 1
            return []
        now = snapshot.now
        self.stats.snapshots += 1
        self.metrics.snapshots.labels(source).inc()
        with self._stage("fuse"):
            positions = fuse(snapshot.positions)
        self.stats.positions += len(positions)
        self.metrics.positions.labels(source).inc(len(positions))
        with self._stage("identify"):
            selected = self._identify(positions)
        with self._stage("locate"):
            points = self._locate(selected)
        with self._stage("track"):
            self._track(selected, points)
        with self._stage("detect"):
            events = self._detect(now)
        with self._stage("alerts"):
            notifications = await self._notify(events)
        with self._stage("persist"):
            await self._persist(now)
        self.clock = now
        self.metrics.feed_clock.set(now)
        self._gauges()
        return notifications

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.metrics.stage_seconds.labels(name).observe(time.perf_counter() - started)

    def _identify(self, positions: list[Position]) -> list[tuple[Position, Identity]]:
        verdicts = self.identifier.identify_many(
            [p.hex for p in positions],
            [p.callsign for p in positions],
            [p.registration for p in positions],
            [p.db_flags for p in positions],
        )
        selected: list[tuple[Position, Identity]] = []
        for position, verdict in zip(positions, verdicts, strict=True):
            if not verdict.is_state_aircraft and position.hex not in self.aircraft:
                continue
            self.candidates.record(position, verdict)
            known = self.aircraft.get(position.hex)
            identity = Identity.from_verdict(
                position.hex,
                verdict,
                position.callsign or (known.identity.callsign if known else None),
                position.registration or (known.identity.registration if known else None),
                position.type_code or (known.identity.type_code if known else None),
            )
            if any(selects(rule.select, identity) for rule in self.rules):
                selected.append((position, identity))
        return selected

    def _locate(self, selected: list[tuple[Position, Identity]]) -> list[TrackPoint]:
        if not selected:
            return []
        lat = np.fromiter((p.lat for p, _ in selected), dtype=np.float64, count=len(selected))
        lon = np.fromiter((p.lon for p, _ in selected), dtype=np.float64, count=len(selected))
        indexes = self.boundaries.locate_many(lat, lon)
        in_areas = self.areas.names_at(lat, lon) if self.areas else [()] * len(selected)
        countries = [self.boundaries.code(index) if index >= 0 else None for index in indexes]
        # Depth is only needed where a rule may alert: outside the home state.
        abroad = [
            row
            for row, (country, (_, identity)) in enumerate(zip(countries, selected, strict=True))
            if country is not None and country != identity.state
        ]
        depths: list[float | None] = [None] * len(selected)
        if abroad:
            hexes = [selected[row][0].hex for row in abroad]
            measured = self.nearby_borders.depths(hexes, indexes[abroad], lat[abroad], lon[abroad])
            for row, depth_km in zip(abroad, measured.tolist(), strict=True):
                depths[row] = depth_km
        points: list[TrackPoint] = []
        for (position, _), country, depth, areas in zip(
            selected, countries, depths, in_areas, strict=True
        ):
            points.append(
                TrackPoint(
                    time=position.time,
                    lat=position.lat,
                    lon=position.lon,
                    alt_ft=position.alt_ft,
                    gs_kt=position.gs_kt,
                    track_deg=position.track_deg,
                    on_ground=position.on_ground,
                    country=country,
                    depth_km=depth,
                    areas=areas,
                    squawk=position.squawk,
                )
            )
        return points

    def _track(self, selected: list[tuple[Position, Identity]], points: list[TrackPoint]) -> None:
        settings = self.settings.track
        for (position, identity), point in zip(selected, points, strict=True):
            aircraft = self.aircraft.get(position.hex)
            if aircraft is None:
                aircraft = Aircraft(identity=identity, track=Track(settings.max_points))
                self.aircraft[position.hex] = aircraft
            elif aircraft.identity != identity:
                aircraft.identity = identity
                aircraft.dirty = True
            last = aircraft.track.last
            if last is not None:
                if point.time <= last.time:
                    continue  # the same report again, or an older one
                if point.time - last.time < settings.min_spacing_s:
                    continue
            refused, aircraft.ghost = judge(
                aircraft.track, aircraft.ghost, point, settings.max_speed_kt
            )
            if refused is not None:
                self.reject(refused)  # impossible_speed or stale_position (service.jumps)
                continue
            aircraft.track.append(point)
            aircraft.unsaved_points.append(point)
            aircraft.dirty = True

    def _detect(self, now: float) -> list[tuple[Aircraft, Event]]:
        events: list[tuple[Aircraft, Event]] = []
        for aircraft in self.aircraft.values():
            before = msgspec.json.encode(aircraft.rule_states)
            found = run_rules(
                self.rules, aircraft.identity, aircraft.track, aircraft.rule_states, now
            )
            if found or msgspec.json.encode(aircraft.rule_states) != before:
                aircraft.dirty = True
            events.extend((aircraft, event) for event in found)
        return events

    async def _notify(self, events: list[tuple[Aircraft, Event]]) -> list[Notification]:
        notifications: list[Notification] = []
        ttl = self.settings.store.notification_log_ttl_s
        for aircraft, event in events:
            episode = fingerprint(event.rule_id, aircraft.identity.hex, event.episode_start)
            sequence = aircraft.sequences.get(episode, 0)
            if event.kind == "resolved":
                aircraft.sequences.pop(episode, None)
            else:
                aircraft.sequences[episode] = sequence + 1
            rule = self.rules_by_id[event.rule_id]
            notification = Notification(
                id=notification_id(episode, sequence),
                fingerprint=episode,
                sequence=sequence,
                rule=rule,
                event=event,
                identity=aircraft.identity,
            )
            # Claimed and queued for delivery in one atomic store step (alerts/routing.py).
            entries = outbox_items(notification, self.receivers, time.time())
            if not await self.store.claim_notification(notification.id, ttl_s=ttl, outbox=entries):
                self.metrics.duplicates.inc()
                continue
            notifications.append(notification)
            self.stats.notifications += 1
            self.metrics.alerts.labels(rule.id, notification.status, event.kind).inc()
            log.info(
                "alert.notified",
                rule=rule.id,
                kind=event.kind,
                hex=aircraft.identity.hex,
                sequence=sequence,
                id=notification.id,
            )
        return notifications

    async def _persist(self, now: float) -> None:
        ttl = self.settings.store.aircraft_ttl_s
        saves: list[AircraftSave] = []
        for hex_, aircraft in list(self.aircraft.items()):
            last = aircraft.track.last
            silent = now - last.time if last is not None else 0.0
            if silent > ttl and not has_open_episode(aircraft.rule_states):
                del self.aircraft[hex_]
                self.nearby_borders.forget(hex_)
                await self.store.drop_aircraft(hex_)
                continue
            if not aircraft.dirty:
                continue
            record = AircraftRecord(
                identity=aircraft.identity,
                rule_states={
                    rule_id: msgspec.Raw(msgspec.json.encode(state))
                    for rule_id, state in aircraft.rule_states.items()
                },
                sequences=aircraft.sequences,
            )
            points = [point_encoder.encode(p) for p in aircraft.unsaved_points]
            saves.append(AircraftSave(hex_, msgspec.json.encode(record), points))
        # One round trip for the whole snapshot; only then are the changes marked saved.
        await self.store.save_aircraft_many(
            saves, max_points=self.settings.track.max_points, ttl_s=ttl
        )
        for save in saves:
            aircraft = self.aircraft[save.hex]
            aircraft.unsaved_points.clear()
            aircraft.dirty = False
        await self.store.set_clock(now)

    def _gauges(self) -> None:
        self.metrics.aircraft_tracked.set(len(self.aircraft))
        abroad = 0
        open_by_rule = dict.fromkeys(self.rules_by_id, 0)
        for aircraft in self.aircraft.values():
            last = aircraft.track.last
            if last is not None and last.country is not None:
                abroad += last.country != aircraft.identity.state
            for rule_id, state in aircraft.rule_states.items():
                if getattr(state, "episode", None) is not None and rule_id in open_by_rule:
                    open_by_rule[rule_id] += 1
        self.metrics.aircraft_abroad.set(abroad)
        for rule_id, count in open_by_rule.items():
            self.metrics.episodes_open.labels(rule_id).set(count)


def fuse(positions: list[Position]) -> list[Position]:
    """One position per address: the newest wins; the same report twice counts once."""
    newest: dict[str, Position] = {}
    for position in positions:
        current = newest.get(position.hex)
        if current is None or position.time > current.time:
            newest[position.hex] = position
    return list(newest.values())
