"""Track points and the bounded track of one aircraft, and what the store saves of it.

Only aircraft that some rule selects get a track; everything here is serialised with
msgspec so the store can save it and a restarted service continues where it stopped.
"""

from __future__ import annotations

from collections import deque

import msgspec

from service.models import Airspace, Identity, Position


class TrackPoint(msgspec.Struct, array_like=True, frozen=True):
    """One accepted position in an aircraft's history, with where it was."""

    time: float
    lat: float
    lon: float
    alt_ft: int | None
    gs_kt: float | None
    track_deg: float | None
    on_ground: bool
    country: str | None  # alpha-2 of the sovereign airspace, None over the high seas
    depth_km: float | None  # only computed where a rule needs it (inside a foreign country)
    # Names of the configured user areas holding the point. Fields added later go last,
    # with a default, so points saved by an older version still decode.
    areas: tuple[str, ...] = ()
    squawk: str | None = None  # transponder code as reported (4 octal digits), if any

    @classmethod
    def of(cls, position: Position, airspace: Airspace) -> TrackPoint:
        """The point of a position, placed in its airspace by the locate stage."""
        return cls(
            time=position.time,
            lat=position.lat,
            lon=position.lon,
            alt_ft=position.alt_ft,
            gs_kt=position.gs_kt,
            track_deg=position.track_deg,
            on_ground=position.on_ground,
            country=airspace.country,
            depth_km=airspace.depth_km,
            areas=airspace.areas,
            squawk=position.squawk,
        )


class SavedAircraft(msgspec.Struct):
    """What the store saves for one aircraft besides its track points."""

    identity: Identity
    rule_states: dict[str, msgspec.Raw] = {}
    sequences: dict[str, int] = {}  # episode fingerprint -> next notification sequence


class Track:
    """The bounded, time-ordered history of one aircraft."""

    __slots__ = ("max_points", "points")

    def __init__(self, max_points: int, points: list[TrackPoint] | None = None) -> None:
        self.max_points = max_points
        self.points: deque[TrackPoint] = deque(points or (), maxlen=max_points)

    @property
    def last(self) -> TrackPoint | None:
        return self.points[-1] if self.points else None

    def append(self, point: TrackPoint) -> None:
        self.points.append(point)

    def since(self, start: float) -> list[TrackPoint]:
        """Points at or after `start`, oldest first."""
        out: list[TrackPoint] = []
        for point in reversed(self.points):
            if point.time < start:
                break
            out.append(point)
        out.reverse()
        return out


point_encoder = msgspec.json.Encoder()
point_decoder = msgspec.json.Decoder(TrackPoint)
saved_decoder = msgspec.json.Decoder(SavedAircraft)
