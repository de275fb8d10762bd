"""Track points and the bounded track of one aircraft, and what the store saves of it.

Only aircraft that some rule selects get a track; everything here is serialised with
msgspec so the store can save it and a restarted service continues where it stopped.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

import msgspec
import numpy as np
import numpy.typing as npt

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


FloatArray = npt.NDArray[np.float64]

# The detail window is a list read from `_head` on; the points before `_head` are
# dropped in one move once they are this many and at least half the list, so dropping
# costs O(1) per point.
_COMPACT_AT = 256


@dataclass(frozen=True, slots=True)
class Columns:
    """The points of a track from some time on, column by column: what the loiter
    look-back reads as arrays instead of point by point."""

    points: list[TrackPoint]
    times: FloatArray
    lat: FloatArray
    lon: FloatArray
    gs_kt: FloatArray  # NaN where not reported
    on_ground: npt.NDArray[np.bool_]


class Track:
    """The bounded, time-ordered history of one aircraft.

    Memory per aircraft is bounded by time, not only by count: the newest `detail_s`
    of feed time is kept point by point (what the rules look back over), older points
    are thinned to one per `thin_s` (plus every change of country, so the map and the
    backtest still see each crossing), and points older than `window_s` are dropped.
    `max_points` caps the count whatever the times. Each point is moved from the recent
    part to the thinned part once, so bounding costs O(1) per point.

    The detail window is also kept as columns of time, position, speed and ground
    flag (`columns`), so a look-back over hundreds of points is an array slice rather
    than a walk over them.
    """

    __slots__ = (
        "_ground",
        "_gs",
        "_head",
        "_last",
        "_lat",
        "_lon",
        "_old",
        "_recent",
        "_times",
        "detail_s",
        "max_points",
        "thin_s",
        "window_s",
    )

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
        # The detail window, every point: `_recent[_head:]`, and its columns likewise.
        self._recent: list[TrackPoint] = []
        self._head = 0
        self._last: TrackPoint | None = None
        self._times = array("d")
        self._lat = array("d")
        self._lon = array("d")
        self._gs = array("d")
        self._ground = array("b")
        for point in points:
            self.append(point)

    @property
    def last(self) -> TrackPoint | None:
        return self._last

    @property
    def first(self) -> TrackPoint | None:
        if self._old:
            return self._old[0]
        return self._recent[self._head] if len(self._recent) > self._head else None

    @property
    def points(self) -> list[TrackPoint]:
        """Every point kept, oldest first (a copy: for the map, the API and reports)."""
        return [*self._old, *self._recent[self._head :]]

    def __len__(self) -> int:
        return len(self._old) + len(self._recent) - self._head

    def append(self, point: TrackPoint) -> None:
        """Add the newest point (callers keep time order), then bound the track."""
        recent, old = self._recent, self._old
        recent.append(point)
        self._last = point
        self._times.append(point.time)
        self._lat.append(point.lat)
        self._lon.append(point.lon)
        self._gs.append(math.nan if point.gs_kt is None else point.gs_kt)
        self._ground.append(point.on_ground)
        detail_from = point.time - self.detail_s
        while recent[self._head].time < detail_from:
            moved = recent[self._head]
            self._head += 1
            if old:
                previous = old[-1]
                if moved.time - previous.time < self.thin_s and moved.country == previous.country:
                    continue
            old.append(moved)
        window_from = point.time - self.window_s
        while old and old[0].time < window_from:
            old.popleft()
        while recent[self._head].time < window_from:
            self._head += 1
        if len(self) > self.max_points:
            if old:
                old.popleft()
            else:
                self._head += 1
        if self._head >= _COMPACT_AT and 2 * self._head >= len(recent):
            self._compact()

    def _compact(self) -> None:
        head = self._head
        del self._recent[:head]
        for column in (self._times, self._lat, self._lon, self._gs, self._ground):
            del column[:head]
        self._head = 0

    def since(self, start: float) -> list[TrackPoint]:
        """Points at or after `start`, oldest first."""
        recent, head = self._recent, self._head
        at = bisect_left(self._times, start, head)
        if at > head or not self._old or self._old[-1].time < start:
            return recent[at:]
        older: list[TrackPoint] = []
        for point in reversed(self._old):
            if point.time < start:
                break
            older.append(point)
        older.reverse()
        return older + recent[head:]

    def columns(self, start: float) -> Columns:
        """`since(start)` as columns."""
        head = self._head
        at = bisect_left(self._times, start, head)
        if at == head and self._old and self._old[-1].time >= start:
            # The look-back reaches into the thinned part (a track restored or capped
            # shorter than its rules look back): column by column from the points.
            points = self.since(start)
            return Columns(
                points,
                np.array([p.time for p in points], dtype=np.float64),
                np.array([p.lat for p in points], dtype=np.float64),
                np.array([p.lon for p in points], dtype=np.float64),
                np.array(
                    [math.nan if p.gs_kt is None else p.gs_kt for p in points], dtype=np.float64
                ),
                np.array([p.on_ground for p in points], dtype=np.bool_),
            )
        return Columns(
            self._recent[at:],
            np.frombuffer(self._times[at:], dtype=np.float64),
            np.frombuffer(self._lat[at:], dtype=np.float64),
            np.frombuffer(self._lon[at:], dtype=np.float64),
            np.frombuffer(self._gs[at:], dtype=np.float64),
            np.frombuffer(self._ground[at:], dtype=np.bool_),
        )


point_encoder = msgspec.json.Encoder()
point_decoder = msgspec.json.Decoder(TrackPoint)
saved_decoder = msgspec.json.Decoder(SavedAircraft)
