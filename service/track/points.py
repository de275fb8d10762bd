"""Track points and the bounded track of one aircraft, and what the store saves of it.

Only aircraft that some rule selects get a track; everything here is serialised with
msgspec so the store can save it and a restarted service continues where it stopped.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import overload

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

# The detail window is columns read from `_head` on; the values before `_head` are
# dropped in one move once they are this many and at least an eighth of the columns,
# so dropping costs O(1) per point (the move of at most eight values per column and
# point dropped), and what left the window holds at most an eighth more memory. (At
# half, as it was, a fleet followed for hours held up to twice its detailed points:
# 1.4 million dead points, 300 MB, for 2,000 aircraft.)
_COMPACT_AT = 64
_COMPACT_SHARE = 8

_NAN = math.nan


def _or_nan(value: float | None) -> float:
    return _NAN if value is None else value


@dataclass(frozen=True, slots=True)
class Columns:
    """The points of a track from some time on, column by column: what the loiter
    look-back reads as arrays instead of point by point. `points` builds the
    TrackPoints of the rows asked for (read it before the track changes again)."""

    points: Sequence[TrackPoint]
    times: FloatArray
    lat: FloatArray
    lon: FloatArray
    gs_kt: FloatArray  # NaN where not reported
    on_ground: npt.NDArray[np.bool_]


class _DetailPoints(Sequence[TrackPoint]):
    """Rows `start:` of a track's detail window as TrackPoints, each built when read."""

    __slots__ = ("_start", "_stop", "_track")

    def __init__(self, track: Track, start: int) -> None:
        self._track, self._start, self._stop = track, start, len(track._times)

    def __len__(self) -> int:
        return self._stop - self._start

    @overload
    def __getitem__(self, index: int) -> TrackPoint: ...

    @overload
    def __getitem__(self, index: slice) -> list[TrackPoint]: ...

    def __getitem__(self, index: int | slice) -> TrackPoint | list[TrackPoint]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            return self._track._rows(range(self._start + start, self._start + stop, step))
        at = index + len(self) if index < 0 else index
        if not 0 <= at < len(self):
            raise IndexError(index)
        return self._track._rows((self._start + at,))[0]


class Track:
    """The bounded, time-ordered history of one aircraft.

    Memory per aircraft is bounded by time, not only by count: the newest `detail_s`
    of feed time is kept point by point (what the rules look back over), older points
    are thinned to one per `thin_s` (plus every change of country, so the map and the
    backtest still see each crossing), and points older than `window_s` are dropped.
    `max_points` caps the count whatever the times. Each point is moved from the recent
    part to the thinned part once, so bounding costs O(1) per point.

    The detail window is kept as columns, not as TrackPoint objects: a point there costs
    about 80 bytes instead of about 250 (a struct and six boxed numbers), and a
    look-back over hundreds of points is an array slice rather than a walk over them
    (`columns`). The points read (`since`, `points`) are built from the columns; the
    newest is the one appended.
    """

    __slots__ = (
        "_alt",
        "_areas",
        "_country",
        "_course",
        "_depth",
        "_ground",
        "_gs",
        "_head",
        "_last",
        "_lat",
        "_lon",
        "_old",
        "_squawk",
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
        # The detail window, every point: row `_head` on of each column. None is NaN in
        # the number columns (no point holds a NaN: decoders refuse non-finite numbers).
        self._head = 0
        self._last: TrackPoint | None = None
        self._times = array("d")
        self._lat = array("d")
        self._lon = array("d")
        self._alt = array("d")
        self._gs = array("d")
        self._course = array("d")
        self._ground = array("b")
        self._depth = array("d")
        # Shared objects (an alpha-2 code, a tuple of area names, a squawk string).
        self._country: list[str | None] = []
        self._areas: list[tuple[str, ...]] = []
        self._squawk: list[str | None] = []
        for point in points:
            self.append(point)

    @property
    def last(self) -> TrackPoint | None:
        return self._last

    @property
    def first_time(self) -> float | None:
        """The time of the first point kept (without building it)."""
        if self._old:
            return self._old[0].time
        return self._times[self._head] if self._detailed() else None

    @property
    def points(self) -> list[TrackPoint]:
        """Every point kept, oldest first (a copy: for the map, the API and reports)."""
        return [*self._old, *self._rows(range(self._head, len(self._times)))]

    def __len__(self) -> int:
        return len(self._old) + self._detailed()

    def _detailed(self) -> int:
        return len(self._times) - self._head

    def append(self, point: TrackPoint) -> None:
        """Add the newest point (callers keep time order), then bound the track."""
        old, times = self._old, self._times
        self._last = point
        times.append(point.time)
        self._lat.append(point.lat)
        self._lon.append(point.lon)
        alt, gs, course, depth = point.alt_ft, point.gs_kt, point.track_deg, point.depth_km
        self._alt.append(_NAN if alt is None else alt)
        self._gs.append(_NAN if gs is None else gs)
        self._course.append(_NAN if course is None else course)
        self._ground.append(point.on_ground)
        self._depth.append(_NAN if depth is None else depth)
        self._country.append(point.country)
        self._areas.append(point.areas)
        self._squawk.append(point.squawk)
        detail_from = point.time - self.detail_s
        country = self._country
        while times[self._head] < detail_from:
            head = self._head
            self._head += 1
            if old:
                previous = old[-1]
                if times[head] - previous.time < self.thin_s and country[head] == previous.country:
                    continue
            old.append(self._rows((head,))[0])
        window_from = point.time - self.window_s
        while old and old[0].time < window_from:
            old.popleft()
        while times[self._head] < window_from:
            self._head += 1
        if len(self) > self.max_points:
            if old:
                old.popleft()
            else:
                self._head += 1
        if self._head >= _COMPACT_AT and _COMPACT_SHARE * self._head >= len(times):
            self._compact()

    def _compact(self) -> None:
        head = self._head
        for column in (
            self._times,
            self._lat,
            self._lon,
            self._alt,
            self._gs,
            self._course,
            self._ground,
            self._depth,
            self._country,
            self._areas,
            self._squawk,
        ):
            del column[:head]
        self._head = 0

    def _rows(self, rows: Iterable[int]) -> list[TrackPoint]:
        """The TrackPoints of these detail rows (the newest is the one appended)."""
        newest = len(self._times) - 1
        times, lat, lon, alt = self._times, self._lat, self._lon, self._alt
        gs, course, ground, depth = self._gs, self._course, self._ground, self._depth
        country, areas, squawk = self._country, self._areas, self._squawk
        built = []
        for i in rows:
            if i == newest and self._last is not None:
                built.append(self._last)
                continue
            a, g, c, d = alt[i], gs[i], course[i], depth[i]
            built.append(
                TrackPoint(
                    times[i],
                    lat[i],
                    lon[i],
                    None if a != a else int(a),
                    None if g != g else g,
                    None if c != c else c,
                    bool(ground[i]),
                    country[i],
                    None if d != d else d,
                    areas[i],
                    squawk[i],
                )
            )
        return built

    def since(self, start: float) -> list[TrackPoint]:
        """Points at or after `start`, oldest first."""
        head, end = self._head, len(self._times)
        at = bisect_left(self._times, start, head)
        if at > head or not self._old or self._old[-1].time < start:
            if at == end - 1 and self._last is not None:
                return [self._last]  # what most rules ask for: the newest point
            return self._rows(range(at, end))
        older: list[TrackPoint] = []
        for point in reversed(self._old):
            if point.time < start:
                break
            older.append(point)
        older.reverse()
        return older + self._rows(range(head, end))

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
                np.array([_or_nan(p.gs_kt) for p in points], dtype=np.float64),
                np.array([p.on_ground for p in points], dtype=np.bool_),
            )
        return Columns(
            _DetailPoints(self, at),
            np.frombuffer(self._times[at:], dtype=np.float64),
            np.frombuffer(self._lat[at:], dtype=np.float64),
            np.frombuffer(self._lon[at:], dtype=np.float64),
            np.frombuffer(self._gs[at:], dtype=np.float64),
            np.frombuffer(self._ground[at:], dtype=np.bool_),
        )


point_encoder = msgspec.json.Encoder()
point_decoder = msgspec.json.Decoder(TrackPoint)
saved_decoder = msgspec.json.Decoder(SavedAircraft)
