"""Track points and the bounded track of one aircraft, and what the store saves of it.

Only aircraft that some rule selects get a track; everything here is serialised with
msgspec so the store can save it and a restarted service continues where it stopped.
"""

from __future__ import annotations

import math
from collections import deque

import msgspec

from service.models import Airspace, Identity, Position


# gc=False: millions of these live for hours; they hold no references that could form
# a cycle, so the garbage collector need not scan them (full collections stayed short).
class TrackPoint(msgspec.Struct, array_like=True, frozen=True, gc=False):
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
    """The bounded, time-ordered history of one aircraft.

    Memory per aircraft is bounded by time, not only by count: the newest `detail_s`
    of feed time is kept point by point (what the rules look back over), older points
    are thinned to one per `thin_s` (plus every change of country, so the map and the
    backtest still see each crossing), and points older than `window_s` are dropped.
    `max_points` caps the count whatever the times. Thinning and dropping run in one
    pass once a tenth of the detail has aged, so their cost per point stays constant;
    each pass that changes the track sets `reshaped` (the store then saves it anew).
    """

    __slots__ = ("_bounded_to", "detail_s", "max_points", "points", "reshaped", "thin_s",
                 "window_s")  # fmt: skip

    def __init__(
        self,
        max_points: int,
        points: list[TrackPoint] | None = None,
        *,
        detail_s: float = math.inf,
        thin_s: float = 0.0,
        window_s: float = math.inf,
    ) -> None:
        self.max_points = max_points
        self.detail_s = detail_s
        self.thin_s = thin_s
        self.window_s = window_s
        self.points: deque[TrackPoint] = deque(points or (), maxlen=max_points)
        self.reshaped = False
        self._bounded_to = -math.inf  # points before this time are thinned already
        self._bound()

    @property
    def last(self) -> TrackPoint | None:
        return self.points[-1] if self.points else None

    @property
    def first(self) -> TrackPoint | None:
        return self.points[0] if self.points else None

    def __len__(self) -> int:
        return len(self.points)

    def append(self, point: TrackPoint) -> None:
        self.points.append(point)
        self._bound()

    def since(self, start: float) -> list[TrackPoint]:
        """Points at or after `start`, oldest first."""
        out: list[TrackPoint] = []
        for point in reversed(self.points):
            if point.time < start:
                break
            out.append(point)
        out.reverse()
        return out

    def _bound(self) -> None:
        """Once enough has aged: drop what left the window, thin what left the detail."""
        if not self.points:
            return
        newest = self.points[-1].time
        span = min(self.detail_s, self.window_s)
        horizon = newest - span
        # Unbounded tracks (both spans infinite) compare NaN here and never pass.
        if not horizon - self._bounded_to >= _BATCH * span:
            return
        window_from = newest - self.window_s
        detail_from = newest - self.detail_s
        kept: list[TrackPoint] = []
        for point in self.points:
            if point.time < window_from:
                continue
            if self.thin_s > 0 and kept and self._bounded_to <= point.time < detail_from:
                previous = kept[-1]
                if point.time - previous.time < self.thin_s and point.country == previous.country:
                    continue
            kept.append(point)
        if len(kept) < len(self.points):
            self.points = deque(kept, maxlen=self.max_points)
            self.reshaped = True
        self._bounded_to = horizon


# Bound once a tenth of the detail window has aged (an O(n) pass every tenth).
_BATCH = 0.1


point_encoder = msgspec.json.Encoder()
point_decoder = msgspec.json.Decoder(TrackPoint)
saved_decoder = msgspec.json.Decoder(SavedAircraft)
