"""What rules return: events about an alert episode (opened, update, resolved)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from service.locate.places import Place
from service.track import TrackPoint

EventKind = Literal["opened", "update", "resolved"]
# An orbit turns about a centre, a racetrack flies back and forth along an axis, a
# dwell stays in one area however it turns.
LoiterShape = Literal["orbit", "racetrack", "dwell"]


@dataclass(frozen=True, slots=True)
class AirspaceFacts:
    """Facts of a foreign-airspace episode: the country entered, how deep, from where."""

    country: str
    depth_km: float
    max_depth_km: float
    entered_at: float
    entry_lat: float
    entry_lon: float
    first_seen_inside: bool


@dataclass(frozen=True, slots=True)
class LoiterFacts:
    """Facts of a loiter episode: the pattern flown, its centre, size and duration."""

    center_lat: float
    center_lon: float
    radius_km: float
    turns: float
    duration_s: float
    alt_min_ft: int | None
    alt_max_ft: int | None
    country: str | None
    place: Place | None = None  # the nearest town to the centre, when one is known
    shape: LoiterShape = "orbit"
    leg_km: float | None = None  # racetrack: the straight part of its legs
    width_km: float | None = None  # racetrack: its width
    axis_deg: float | None = None  # racetrack: compass bearing of its axis, 0-180


@dataclass(frozen=True, slots=True)
class SignalFacts:
    last_seen: float
    silent_s: float
    country: str
    depth_km: float | None


@dataclass(frozen=True, slots=True)
class SquawkFacts:
    """Facts of a squawk episode: the code held and since when."""

    code: str
    since: float  # when the code was first reported in this episode
    country: str | None  # sovereign airspace of the reported position


Facts = AirspaceFacts | LoiterFacts | SignalFacts | SquawkFacts


@dataclass(frozen=True, slots=True)
class Event:
    """One step in the life of an alert episode, identified by (rule, aircraft, start)."""

    rule_id: str
    kind: EventKind
    episode_start: float
    at: float  # feed time of the event
    point: TrackPoint  # the position to report
    facts: Facts
    note: str  # why: "entered", "depth passed 250 km", "left", "signal lost", ...
    ended_at: float | None = None
