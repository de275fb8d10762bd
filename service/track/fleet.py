"""The fleet: every aircraft the engine follows, in memory, saved after each snapshot.

Only aircraft that some rule selects join the fleet. Each one carries its identity, its
bounded track, its rules' states and the sequence numbers of its open episodes. After
every snapshot the aircraft that changed are saved to the store in one step, with the
feed clock, so a restarted service restores the fleet and continues every open episode.
An aircraft silent for `store.aircraft_ttl_s` with no open episode is forgotten, and
the fleet never holds more than `track.max_aircraft`: beyond it the least recently
heard are forgotten first (evicted).
"""

from __future__ import annotations

import heapq
import math
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

import msgspec
import structlog

from service.clock import SYSTEM_CLOCK, Clock
from service.models import Airspace, Identity, Position
from service.settings import TrackSettings
from service.store.base import AircraftSave, StoreError, TrackStore
from service.track.jumps import Ghost, judge
from service.track.points import (
    SavingAircraft,
    Track,
    TrackPoint,
    point_decoder,
    point_encoder,
    saved_decoder,
)

log = structlog.get_logger(__name__)

# Saved state dated more than this after the wall clock is not trusted on restore.
MAX_SKEW_S = 60.0
# The store's copy of a track may hold this many times the points kept in memory (plus
# a few) before the whole track is saved anew: a rewrite costs the whole track, so it
# is done once the appends since the last one reach about half of it, not on every
# thinning. Each aircraft's factor lies in [STORE_SLACK, STORE_SLACK + STORE_SLACK_SPREAD),
# set by its address: aircraft that joined together (a fleet restored, a busy feed's
# first snapshot) would otherwise all be rewritten in the same snapshot, a stall of the
# whole fleet's tracks at once, again at every round.
STORE_SLACK = 1.25
STORE_SLACK_SPREAD = 0.5
STORE_SLACK_POINTS = 20

_state_encoder = msgspec.json.Encoder()


def store_slack(hex_: str) -> float:
    """The aircraft's rewrite factor (STORE_SLACK): the same for an address every run."""
    spread = zlib.crc32(hex_.encode()) / 2**32
    return STORE_SLACK + STORE_SLACK_SPREAD * spread


def encode_points(points: Iterable[TrackPoint]) -> list[bytes]:
    """Each point's JSON, from one encoder call (a call per point costs more than it)."""
    return point_encoder.encode_lines(list(points)).split(b"\n")[:-1]


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
    # Points in the store's copy of the track: it only grows (appends) while the track
    # in memory is thinned and aged, so now and then the track is saved whole, anew.
    stored: int = 0
    # The store's copy is rewritten beyond `slack` times the track (see STORE_SLACK).
    slack: float = STORE_SLACK
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
        history_s: float = 0.0,
    ) -> None:
        """`clock` and `max_skew_s` judge saved state on restore: nothing saved may be
        dated after the wall clock plus the skew. `history_s` is the look-back the rules
        need: tracks keep at least that much in full detail."""
        self.store = store
        self.settings = settings
        self.detail_s = max(settings.detail_s, history_s)
        self.aircraft_ttl_s = aircraft_ttl_s
        self.clock = clock
        self.max_skew_s = max_skew_s
        self.aircraft: dict[str, Aircraft] = {}
        # Feed time of the last fully processed snapshot; None before the first.
        self.feed_clock: float | None = None
        self._unsaved = False  # the last save failed (the store is down)
        # Whether `save` writes to the store: a run that needs no restart (an import)
        # keeps its state in memory only.
        self.persist = True

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
            track = self._track(points)
            self.aircraft[hex_] = Aircraft(
                identity=saved.identity,
                track=track,
                rule_states=states,
                sequences=dict(saved.sequences),
                stored=len(points),
                slack=store_slack(hex_),
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
                aircraft = Aircraft(
                    identity=identity, track=self._track(), slack=store_slack(position.hex)
                )
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
            if len(aircraft.unsaved_points) > settings.max_points:
                # The store keeps no more than this anyway (a long store outage).
                del aircraft.unsaved_points[: -settings.max_points]
            aircraft.dirty = True

    def _track(self, points: Iterable[TrackPoint] = ()) -> Track:
        settings = self.settings
        return Track(
            settings.max_points,
            points,
            detail_s=self.detail_s,
            thin_s=settings.thin_s,
            window_s=max(settings.window_s, self.detail_s),
        )

    async def save(
        self, now: float, still_open: Callable[[Aircraft], bool]
    ) -> tuple[list[str], list[str]]:
        """Save what changed and the feed clock `now`; forget aircraft silent longer than
        the TTL unless `still_open`, and the least recently heard beyond
        `track.max_aircraft`. Returns the addresses forgotten: (expired, evicted).

        With the store down nothing is lost: the changes stay marked and are saved by
        the first save that succeeds."""
        ttl = self.aircraft_ttl_s
        expired = [
            hex_
            for hex_, aircraft in self.aircraft.items()
            if now - _heard(aircraft, now) > ttl and not still_open(aircraft)
        ]
        evicted = self._over_the_cap(set(expired), still_open)
        for hex_ in [*expired, *evicted]:
            del self.aircraft[hex_]
        if expired or evicted:
            with suppress(StoreError):  # their keys expire on their own
                await self.store.drop_aircraft_many([*expired, *evicted])
        if not self.persist:
            for aircraft in self.aircraft.values():
                if aircraft.dirty:
                    aircraft.unsaved_points.clear()
                    aircraft.dirty = False
            self.feed_clock = now
            return expired, evicted
        saves: list[AircraftSave] = []
        for hex_, aircraft in self.aircraft.items():
            if not aircraft.dirty:
                continue
            # The same JSON as SavedAircraft, in one encoder call.
            state = _state_encoder.encode(
                SavingAircraft(aircraft.identity, aircraft.rule_states, aircraft.sequences)
            )
            rewrite = aircraft.stored > aircraft.slack * len(aircraft.track) + STORE_SLACK_POINTS
            unsaved = aircraft.track.points if rewrite else aircraft.unsaved_points
            saves.append(AircraftSave(hex_, state, encode_points(unsaved), rewrite))
        self.feed_clock = now
        try:
            # One round trip for the whole snapshot; only then are the changes marked saved.
            await self.store.save_aircraft_many(
                saves, max_points=self.settings.max_points, ttl_s=ttl
            )
        except StoreError as exc:
            if not self._unsaved:
                log.warning("state.save_failed", aircraft=len(saves), error=str(exc))
            self._unsaved = True
            return expired, evicted
        for save in saves:
            aircraft = self.aircraft[save.hex]
            stored = len(save.new_points) + (0 if save.replace else aircraft.stored)
            aircraft.stored = min(stored, self.settings.max_points)  # the store trims to it
            aircraft.unsaved_points.clear()
            aircraft.dirty = False
        if self._unsaved:
            log.info("state.saved_again", aircraft=len(saves))
        self._unsaved = False
        with suppress(StoreError):  # saved with the next snapshot
            await self.store.set_feed_clock(now)
        return expired, evicted

    def _over_the_cap(self, leaving: set[str], still_open: Callable[[Aircraft], bool]) -> list[str]:
        """The aircraft beyond the cap, a tenth of it more at once (so a flood of new
        addresses costs one sort per tenth, not one per aircraft): those without an open
        episode first (an open one must still resolve), each the least recently heard."""
        cap = self.settings.max_aircraft
        excess = len(self.aircraft) - len(leaving) - cap
        if excess <= 0:
            return []
        staying = ((a, hex_) for hex_, a in self.aircraft.items() if hex_ not in leaving)
        oldest = heapq.nsmallest(
            excess + cap // 10,
            staying,
            key=lambda pair: (still_open(pair[0]), _heard(pair[0], math.inf)),
        )
        return [hex_ for _, hex_ in oldest]


def _heard(aircraft: Aircraft, default: float) -> float:
    """When the aircraft was last heard (`default` for one with no track yet)."""
    last = aircraft.track.last
    return last.time if last is not None else default
