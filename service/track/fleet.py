"""The fleet: every aircraft the engine follows, in memory, saved after each snapshot.

Only aircraft that some rule selects join the fleet. Each one carries its identity, its
bounded track, its rules' states and the sequence numbers of its open episodes. After
every snapshot the aircraft that changed are saved to the store in one step, with the
feed clock, so a restarted service restores the fleet and continues every open episode.
An aircraft silent for `store.aircraft_ttl_s` with no open episode is forgotten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import msgspec
import structlog

from service.clock import SYSTEM_CLOCK, Clock
from service.models import Airspace, Identity, Position
from service.settings import TrackSettings
from service.store.base import AircraftSave, TrackStore
from service.track.jumps import Ghost, judge
from service.track.points import (
    SavedAircraft,
    Track,
    TrackPoint,
    point_decoder,
    point_encoder,
    saved_decoder,
)

log = structlog.get_logger(__name__)

# Saved state dated more than this after the wall clock is not trusted on restore.
MAX_SKEW_S = 60.0

# Rule state from its saved JSON, by rule id (None: that rule no longer exists).
StateDecoder = Callable[[str, bytes], msgspec.Struct | None]


@dataclass(slots=True)
class Aircraft:
    """One followed aircraft in memory."""

    identity: Identity
    track: Track
    rule_states: dict[str, msgspec.Struct] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)
    unsaved_points: list[TrackPoint] = field(default_factory=list)
    dirty: bool = False
    ghost: Ghost | None = None  # a stream contradicting the track (service.track.jumps)


class Fleet:
    """The followed aircraft by address, and the feed clock they were saved at."""

    def __init__(
        self,
        store: TrackStore,
        settings: TrackSettings,
        *,
        aircraft_ttl_s: int,
        clock: Clock = SYSTEM_CLOCK,
        max_skew_s: float = MAX_SKEW_S,
    ) -> None:
        """`clock` and `max_skew_s` judge saved state on restore: nothing saved may be
        dated after the wall clock plus the skew."""
        self.store = store
        self.settings = settings
        self.aircraft_ttl_s = aircraft_ttl_s
        self.clock = clock
        self.max_skew_s = max_skew_s
        self.aircraft: dict[str, Aircraft] = {}
        # Feed time of the last fully processed snapshot; None before the first.
        self.feed_clock: float | None = None

    def __len__(self) -> int:
        return len(self.aircraft)

    def __iter__(self) -> Iterator[Aircraft]:
        return iter(self.aircraft.values())

    def get(self, hex_: str) -> Aircraft | None:
        """The followed aircraft with this address, if any."""
        return self.aircraft.get(hex_)

    async def restore(self, decode_state: StateDecoder) -> None:
        """Load the feed clock and the saved state of every active aircraft.

        State dated in the future (a bad timestamp saved by an older version) is
        repaired, never trusted: such a feed clock is dropped, such track points too,
        and the rule states of an aircraft that had them start afresh.
        """
        limit = self.clock.time() + self.max_skew_s
        self.feed_clock = await self.store.get_feed_clock()
        if self.feed_clock is not None and self.feed_clock > limit:
            log.warning("state.clock_repaired", stored=self.feed_clock, limit=round(limit))
            self.feed_clock = None
        for hex_ in sorted(await self.store.active_aircraft()):
            blob = await self.store.load_aircraft(hex_)
            if blob is None:
                continue
            saved = saved_decoder.decode(blob)
            points = [point_decoder.decode(raw) for raw in await self.store.load_track(hex_)]
            future = [p for p in points if p.time > limit]
            if future:
                log.warning("state.track_repaired", hex=hex_, future_points=len(future))
                points = [p for p in points if p.time <= limit]
                saved.rule_states = {}
            states = {}
            for rule_id, raw in saved.rule_states.items():
                state = decode_state(rule_id, raw)
                if state is not None:
                    states[rule_id] = state
            self.aircraft[hex_] = Aircraft(
                identity=saved.identity,
                track=Track(self.settings.max_points, points),
                rule_states=states,
                sequences=dict(saved.sequences),
            )
        log.info("state.restored", aircraft=len(self.aircraft), clock=self.feed_clock)

    def follow(
        self,
        selected: Sequence[tuple[Position, Identity]],
        airspaces: Sequence[Airspace],
        reject: Callable[[str], None],
    ) -> None:
        """Add each selected position to its aircraft's track (joining the fleet if new);
        `reject` is told why a position was refused (service.track.jumps)."""
        settings = self.settings
        for (position, identity), airspace in zip(selected, airspaces, strict=True):
            aircraft = self.aircraft.get(position.hex)
            if aircraft is None:
                aircraft = Aircraft(identity=identity, track=Track(settings.max_points))
                self.aircraft[position.hex] = aircraft
            elif aircraft.identity != identity:
                aircraft.identity = identity
                aircraft.dirty = True
            point = TrackPoint.of(position, airspace)
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
                reject(refused)  # impossible_speed or stale_position
                continue
            aircraft.track.append(point)
            aircraft.unsaved_points.append(point)
            aircraft.dirty = True

    async def save(self, now: float, still_open: Callable[[Aircraft], bool]) -> list[str]:
        """Save what changed and the feed clock `now`; forget aircraft silent longer than
        the TTL unless `still_open`. Returns the addresses forgotten."""
        ttl = self.aircraft_ttl_s
        saves: list[AircraftSave] = []
        forgotten: list[str] = []
        for hex_, aircraft in list(self.aircraft.items()):
            last = aircraft.track.last
            silent = now - last.time if last is not None else 0.0
            if silent > ttl and not still_open(aircraft):
                del self.aircraft[hex_]
                forgotten.append(hex_)
                await self.store.drop_aircraft(hex_)
                continue
            if not aircraft.dirty:
                continue
            saved = SavedAircraft(
                identity=aircraft.identity,
                rule_states={
                    rule_id: msgspec.Raw(msgspec.json.encode(state))
                    for rule_id, state in aircraft.rule_states.items()
                },
                sequences=aircraft.sequences,
            )
            points = [point_encoder.encode(p) for p in aircraft.unsaved_points]
            saves.append(AircraftSave(hex_, msgspec.json.encode(saved), points))
        # One round trip for the whole snapshot; only then are the changes marked saved.
        await self.store.save_aircraft_many(saves, max_points=self.settings.max_points, ttl_s=ttl)
        for save in saves:
            aircraft = self.aircraft[save.hex]
            aircraft.unsaved_points.clear()
            aircraft.dirty = False
        await self.store.set_feed_clock(now)
        self.feed_clock = now
        return forgotten
