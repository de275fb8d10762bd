"""Which history rows a new track point or a detect event produces. Pure: no I/O.

Track points are downsampled per aircraft: one every `sample_s`, and every point where
the country or the altitude band changes, so hours per country measured on the kept
points equal those measured on every point. The last point heard before a pause
longer than `sample_s` is kept as well (it is held back until the next point shows
the pause), so a gap in the data is a gap in the history too, to the second.
Every point that opened or closed an episode is kept.

Episode rows come from detect events (every rule type) and, after a restart, from the
notification payloads the store still holds (`episode_of_payload`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Final, NamedTuple

from service.alerts.payload import Payload
from service.detect.events import AirspaceFacts, Event, LoiterFacts, SignalFacts, SquawkFacts
from service.detect.signal_lost import landed
from service.models import STATE_CATEGORIES, Identity
from service.track import Track, TrackPoint

ALT_BAND_FT: Final = 5000  # a change of band is kept whatever the interval
GROUND_BAND: Final = -1
# Reasons (service.identify.evidence) whose detail names the operator, best first.
_OPERATOR_METHODS: Final = ("operator_designator", "user_list", "registration_pattern")


class PointRow(NamedTuple):
    """One row of the track_points table (service/history/schema.py, same order)."""

    hex: str
    time: float
    lat: float
    lon: float
    alt_ft: int | None
    gs_kt: float | None
    on_ground: bool
    country: str | None
    depth_km: float | None
    state: str | None
    category: str
    callsign: str | None
    registration: str | None
    operator: str | None


class EpisodeRow(NamedTuple):
    """One row of the episodes table (service/history/schema.py, same order)."""

    hex: str
    rule_id: str
    start: float
    rule_type: str
    callsign: str | None
    registration: str | None
    type_code: str | None
    operator: str | None
    state: str | None
    category: str
    country: str | None
    entry_lat: float | None
    entry_lon: float | None
    end_time: float | None
    exit_lat: float | None
    exit_lon: float | None
    duration_s: float | None
    max_depth_km: float | None
    ended: str | None
    updated_at: float

    @property
    def key(self) -> tuple[str, str, float]:
        return (self.hex, self.rule_id, self.start)


def operator_of(identity: Identity) -> str | None:
    """The operator the identification names (designator, list entry), if any."""
    for method in _OPERATOR_METHODS:
        for found, detail in identity.reasons:
            if found == method and detail:
                # "CBP-113 matches ^CBP- (US Customs and Border Protection)": the name.
                if method == "registration_pattern" and detail.endswith(")") and "(" in detail:
                    return detail[detail.rindex("(") + 1 : -1]
                return detail
    return None


def alt_band(point: TrackPoint) -> int | None:
    if point.on_ground:
        return GROUND_BAND
    return None if point.alt_ft is None else int(point.alt_ft // ALT_BAND_FT)


def point_row(identity: Identity, point: TrackPoint) -> PointRow:
    return PointRow(
        identity.hex, point.time, point.lat, point.lon, point.alt_ft, point.gs_kt,
        point.on_ground, point.country, point.depth_km, identity.state, identity.category,
        identity.callsign, identity.registration, operator_of(identity),
    )  # fmt: skip


def merge(old: EpisodeRow, new: EpisodeRow) -> EpisodeRow:
    """Two rows of one episode as one (the table's upsert does the same)."""
    first = {f: getattr(old, f) if getattr(old, f) is not None else getattr(new, f)
             for f in ("callsign", "registration", "type_code", "operator", "state",
                       "country", "entry_lat", "entry_lon")}  # fmt: skip
    ended = {f: getattr(new, f) if getattr(new, f) is not None else getattr(old, f)
             for f in ("end_time", "exit_lat", "exit_lon", "duration_s", "ended")}  # fmt: skip
    depths = [d for d in (old.max_depth_km, new.max_depth_km) if d is not None]
    return old._replace(
        **first, **ended,
        max_depth_km=max(depths) if depths else None,
        updated_at=max(old.updated_at, new.updated_at),
    )  # fmt: skip


class Recorder:
    """Per-aircraft sampling state; `observe` and `episode` return the rows to write."""

    def __init__(self, sample_s: float, gap_s: float) -> None:
        """`gap_s`: pauses longer than this are not flown (for `abroad_s`)."""
        self.sample_s = sample_s
        self.gap_s = gap_s
        self._kept: dict[str, TrackPoint] = {}  # last point written, per aircraft
        self._held: dict[str, tuple[Identity, TrackPoint]] = {}  # last heard, not written

    def observe(
        self, identity: Identity, point: TrackPoint
    ) -> tuple[list[PointRow], tuple[str, float] | None]:
        """The rows a new (newest) point of an aircraft adds, and (country, seconds)
        when the time since the previous point was flown abroad (not at home, over the
        sea, or in a gap)."""
        hex_ = identity.hex
        if identity.category not in STATE_CATEGORIES:
            return [], None
        rows: list[PointRow] = []
        abroad: tuple[str, float] | None = None
        held = self._held.pop(hex_, None)
        kept = self._kept.get(hex_)
        previous = held[1] if held is not None else kept
        if previous is not None:
            if point.time <= previous.time:
                if held is not None:
                    self._held[hex_] = held
                return [], None
            step = point.time - previous.time
            country, state = previous.country, identity.state
            if step <= self.gap_s and country is not None and state not in (None, country):
                abroad = (country, step)
            if held is not None and step > self.sample_s:
                rows.append(point_row(held[0], held[1]))  # the last point before a pause
        if (
            kept is None
            or point.time - kept.time >= self.sample_s
            or point.country != kept.country
            or alt_band(point) != alt_band(kept)
            or rows
        ):
            rows.append(point_row(identity, point))
            self._kept[hex_] = point
        else:
            self._held[hex_] = (identity, point)
        return rows, abroad

    def keep(self, identity: Identity, point: TrackPoint) -> PointRow | None:
        """A point that must be written whatever the sampling (an episode's)."""
        if identity.category not in STATE_CATEGORIES:
            return None
        return point_row(identity, point)

    def held(self) -> list[PointRow]:
        """The points heard last and not yet written (at shutdown, at the end of an
        import), then forgotten."""
        rows = [point_row(identity, point) for identity, point in self._held.values()]
        for hex_, (_, point) in self._held.items():
            self._kept[hex_] = point
        self._held.clear()
        return rows

    def forget(self, hexes: Iterable[str]) -> list[PointRow]:
        """Aircraft the fleet forgot: their held points, and no more state."""
        rows = []
        for hex_ in hexes:
            self._kept.pop(hex_, None)
            held = self._held.pop(hex_, None)
            if held is not None:
                rows.append(point_row(*held))
        return rows


def episode_of_event(
    identity: Identity, rule_type: str, event: Event, track: Track | None = None
) -> EpisodeRow:
    """The episode row an event writes (opened, update or resolved)."""
    facts = event.facts
    country: str | None = None
    entry: tuple[float | None, float | None] = (None, None)
    depth: float | None = None
    if isinstance(facts, AirspaceFacts):
        country, depth = facts.country, facts.max_depth_km
        entry = (facts.entry_lat, facts.entry_lon)
    elif isinstance(facts, LoiterFacts | SignalFacts | SquawkFacts):
        country = facts.country
    # Whole seconds, as the payloads store them: an episode re-derived from a stored
    # notification has the same key (hex, rule, start) as the one written live.
    start = float(math.floor(event.episode_start))
    end_time = exit_lat = exit_lon = duration = None
    ended = None
    if event.kind == "resolved":
        end_time = float(math.floor(event.ended_at if event.ended_at is not None else event.at))
        exit_lat, exit_lon = event.point.lat, event.point.lon
        duration = max(0.0, end_time - start)
        ended = event.note
        if ended == "signal lost" and track is not None and landed(track, event.point):
            ended = "landed"
    return EpisodeRow(
        identity.hex, event.rule_id, start, rule_type, identity.callsign,
        identity.registration, identity.type_code, operator_of(identity), identity.state,
        identity.category, country, entry[0], entry[1], end_time, exit_lat, exit_lon,
        duration, depth, ended, event.at,
    )  # fmt: skip


def episode_of_payload(payload: Payload) -> EpisodeRow:
    """The episode row a stored notification stands for (re-derived on start)."""
    aircraft = payload.aircraft
    area = payload.area or None
    started = _seconds(payload.started_at)
    end_time = _seconds(payload.ended_at) if payload.ended_at is not None else None
    resolved = payload.status == "resolved"
    if resolved and end_time is None:
        end_time = _seconds(payload.at)
    reasons = [(e.method, e.detail) for e in aircraft.identified_by]
    identity = Identity(hex=aircraft.hex, category=aircraft.category, state=aircraft.state,
                        reasons=reasons)  # fmt: skip
    entry = area.entry if area is not None else None
    max_depth = area.max_depth_km if area is not None else None
    return EpisodeRow(
        aircraft.hex, payload.rule.id, started, payload.rule.type, aircraft.callsign,
        aircraft.registration, aircraft.type, operator_of(identity), aircraft.state,
        aircraft.category, area.country if area is not None else None,
        entry.lat if entry is not None else None, entry.lon if entry is not None else None,
        end_time,
        payload.position.lat if resolved else None,
        payload.position.lon if resolved else None,
        max(0.0, end_time - started) if end_time is not None else None,
        max_depth, _ended_of_summary(payload.summary) if resolved else None,
        _seconds(payload.at),
    )  # fmt: skip


def _ended_of_summary(summary: str) -> str | None:
    """How a resolved episode ended, as its summary says (None: not said)."""
    if "signal was lost" in summary:
        return "signal lost"
    if " left " in summary:
        return "left"
    return None


def _seconds(iso_time: str) -> float:
    """Unix seconds of a payload time (whole seconds: the payload rounds them)."""
    value = datetime.fromisoformat(iso_time.replace("Z", "+00:00")).timestamp()
    return value if math.isfinite(value) else 0.0
