"""Track points and the bounded track of one aircraft, and what the store saves of it.

Only aircraft that some rule selects get a track; everything here is serialised with
msgspec so the store can save it and a restarted service continues where it stopped.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

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


class SavingAircraft(msgspec.Struct):
    """`SavedAircraft` as it is written, field for field: the rule states as they are,
    so one encoder call writes the whole of it (keep the two in step)."""

    identity: Identity
    rule_states: dict[str, msgspec.Struct]
    sequences: dict[str, int]


class Track:
    """The bounded, time-ordered history of one aircraft.

    Memory per aircraft is bounded by time, not only by count: the newest `detail_s`
    of feed time is kept point by point (what the rules look back over), older points
    are thinned to one per `thin_s` (plus every change of country, so the map and the
    backtest still see each crossing), and points older than `window_s` are dropped.
    `max_points` caps the count whatever the times. Each point is moved from the recent
    part to the thinned part once, so bounding costs O(1) per point.
    """

    __slots__ = ("_old", "_recent", "detail_s", "max_points", "thin_s", "window_s")

    def __init__(
        self,
        max_points: int,
        points: Iterable[TrackPoint] = (),
        *,
        detail_s: float = math.inf,
        thin_s: float = 0.0,
        window_s: float = math.inf,
    ) -> None:
        self.max_points = max_points
        self.detail_s = detail_s
        self.thin_s = thin_s
        self.window_s = window_s
        self._old: deque[TrackPoint] = deque()  # before the detail window, thinned
        self._recent: deque[TrackPoint] = deque()  # the detail window, every point
        for point in points:
            self.append(point)

    @property
    def last(self) -> TrackPoint | None:
        return self._recent[-1] if self._recent else None

    @property
    def first(self) -> TrackPoint | None:
        if self._old:
            return self._old[0]
        return self._recent[0] if self._recent else None

    @property
    def points(self) -> list[TrackPoint]:
        """Every point kept, oldest first (a copy: for the map, the API and reports)."""
        return [*self._old, *self._recent]

    def __len__(self) -> int:
        return len(self._old) + len(self._recent)

    def append(self, point: TrackPoint) -> None:
        """Add the newest point (callers keep time order), then bound the track."""
        recent, old = self._recent, self._old
        recent.append(point)
        detail_from = point.time - self.detail_s
        while recent[0].time < detail_from:
            moved = recent.popleft()
            if old:
                previous = old[-1]
                if moved.time - previous.time < self.thin_s and moved.country == previous.country:
                    continue
            old.append(moved)
        window_from = point.time - self.window_s
        while old and old[0].time < window_from:
            old.popleft()
        while recent[0].time < window_from:
            recent.popleft()
        if len(old) + len(recent) > self.max_points:
            (old or recent).popleft()

    def since(self, start: float) -> list[TrackPoint]:
        """Points at or after `start`, oldest first."""
        out: list[TrackPoint] = []
        for part in (self._recent, self._old):
            for point in reversed(part):
                if point.time < start:
                    out.reverse()
                    return out
                out.append(point)
        out.reverse()
        return out


point_encoder = msgspec.json.Encoder()
point_decoder = msgspec.json.Decoder(TrackPoint)
saved_decoder = msgspec.json.Decoder(SavedAircraft)
