"""The loiter look-back: which pattern, if any, the recent track ends in.

Each pattern is the longest stretch, ending at the latest point and lasting
`min_duration_s`, that fits the pattern's outline, then asked whether it is that
pattern (the geometry is in `service.detect.shapes`):
  - within `max_radius_km` of its centre, over `max(min_duration_s, min_dwell_s)`: an
    orbit once it has turned `min_turns`, else a dwell once it lasts `min_dwell_s`;
  - with `patterns` (the aircraft has turned enough lately), over `pattern_window_s`:
    round and within `max_orbit_radius_km`, turning `min_turns`: a wide orbit;
  - and turning at least as a racetrack must, long and narrow (legs up to
    `max_leg_km`, width up to `max_width_ratio` of its length): a racetrack if it
    retraces its legs and reverses along its axis `min_reversals` times.
An orbit that is long and narrow and retraces its legs is a racetrack (a holding
pattern), and not yet anything while it has reversed fewer times.

Bounding boxes skip the starts that cannot fit (a stretch wider along x or y than the
pattern can be); the one of the dwell radius is returned, since it only moves forward
as points arrive. Net turning is counted along the window's chords (`shapes.turning`),
and with the spread along and across the principal axis it is worked out for every
start at once (suffix sums), so the wide orbit and the racetrack ask the exact, costlier
questions (roundness, extents) only of the starts that pass those.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from service.detect import shapes
from service.detect.events import LoiterShape
from service.detect.shapes import FloatArray, Outline
from service.locate.geo import local_km
from service.settings import LoiterRule
from service.track import Track, TrackPoint


def usable(rule: LoiterRule, point: TrackPoint) -> bool:
    """Airborne and not crawling: taxiing and parked positions are ignored."""
    if point.on_ground:
        return False
    return point.gs_kt is None or point.gs_kt >= rule.min_speed_kt


def radius_window(rule: LoiterRule) -> float:
    """Look-back of the orbit or dwell within `max_radius_km`."""
    return max(rule.min_duration_s, rule.min_dwell_s)


def pattern_window(rule: LoiterRule) -> float:
    """Look-back of the wide orbit and the racetrack."""
    return max(rule.pattern_window_s, rule.min_duration_s)


def wide_orbits(rule: LoiterRule) -> bool:
    return "orbit" in rule.shapes and rule.max_orbit_radius_km > rule.max_radius_km


def turn_needed(rule: LoiterRule) -> float:
    """Net turning, in degrees, the least turning pattern looked for over the pattern
    window needs (infinite when neither wide orbits nor racetracks are)."""
    needs = [math.inf]
    if wide_orbits(rule):
        needs.append(rule.min_turns * 360.0)
    if "racetrack" in rule.shapes:
        needs.append(shapes.RACETRACK_TURN_PER_REVERSAL_DEG * rule.min_reversals)
    return min(needs)


def recent(rule: LoiterRule, track: Track, seconds: float) -> Recent:
    """The usable points of the last `seconds` of track, after the last coverage gap
    longer than `max_gap_s`."""
    last = track.last
    assert last is not None
    columns = track.columns(last.time - seconds)
    # As `usable`, of every point at once (NaN, an unreported speed, is not below it).
    keep = np.flatnonzero(~columns.on_ground & ~(columns.gs_kt < rule.min_speed_kt))
    times = columns.times[keep]
    gaps = np.flatnonzero(np.diff(times) > rule.max_gap_s)
    if len(gaps):
        cut = int(gaps[-1]) + 1
        keep, times = keep[cut:], times[cut:]
    return Recent(columns.points, keep, times, columns.lat[keep], columns.lon[keep])


@dataclass(frozen=True, slots=True)
class Recent:
    """The points `recent` keeps: `points[i] for i in keep`, and their columns."""

    points: Sequence[TrackPoint]
    keep: npt.NDArray[np.intp]
    times: FloatArray
    lat: FloatArray
    lon: FloatArray

    def __len__(self) -> int:
        return len(self.keep)

    def kept(self, start: int = 0) -> list[TrackPoint]:
        """The points kept from the `start`th on."""
        points = self.points
        return [points[i] for i in self.keep[start:].tolist()]


def lasts(rule: LoiterRule, points: Recent) -> bool:
    """Whether a stretch of these points can last `min_duration_s`."""
    return len(points) >= 3 and points.times[-1] - points.times[0] >= rule.min_duration_s


class Window:
    """Points of the look-back in local km around the latest one, with each start's net
    turning to the end."""

    def __init__(self, points: Recent) -> None:
        self.recent = points
        self.lat = points.lat
        self.lon = points.lon
        self.x, self.y = local_km(self.lat, self.lon, float(self.lat[-1]), float(self.lon[-1]))
        self.times = points.times

    @cached_property
    def turned(self) -> FloatArray:
        """Net turning from each point to the end (degrees, right positive)."""
        return shapes.suffix_turns(shapes.turning(self.x, self.y))

    @cached_property
    def spread(self) -> tuple[FloatArray, FloatArray]:
        """Spread along and across the principal axis from each point to the end."""
        return shapes.suffix_spread(self.x, self.y)

    def outline(self, start: int) -> Outline:
        return shapes.outline(self.x[start:], self.y[start:])


@dataclass(frozen=True, slots=True)
class Found:
    """A loiter found: the stretch from `start` of the window, flown as `shape`."""

    window: Window
    start: int
    shape: LoiterShape
    turned: float  # net turning, degrees
    limit_km: float  # orbit or dwell: farther from the centre is outside


def find(rule: LoiterRule, track: Track, patterns: bool) -> tuple[Found | None, float | None]:
    """The first pattern found, if any; and when none can be, the earliest time a
    stretch within the dwell radius could start at (None when unknown, as for a stretch
    that is in the radius but has not turned enough yet)."""
    # The dwell radius's window first: it is shorter, and what most loiters are found in.
    points = recent(rule, track, radius_window(rule))
    if not lasts(rule, points):  # then neither does a longer look-back, cut at the same gap
        return None, float(points.times[0]) if len(points) else None
    window = Window(points)
    times = window.times
    start, first = _within(rule, window)
    bound: float | None = float(times[first])
    if start is not None:
        turned = float(window.turned[start])
        shape = _orbit(rule, window, start, turned)
        if shape is None and "dwell" in rule.shapes:
            shape = "dwell" if times[-1] - times[start] >= rule.min_dwell_s else None
        if shape is not None:
            return Found(window, start, shape, turned, rule.max_radius_km), None
        bound = None
    if not patterns:
        return None, bound
    if pattern_window(rule) > radius_window(rule):
        window = Window(recent(rule, track, pattern_window(rule)))
    if wide_orbits(rule):
        start = _round_within(rule, window)
        if start is not None:
            turned = float(window.turned[start])
            shape = _orbit(rule, window, start, turned)
            if shape is not None:
                limit = shapes.max_radius(window.x[start:], window.y[start:])
                return Found(window, start, shape, turned, limit), None
    if "racetrack" in rule.shapes:
        start = _stretched(rule, window)
        if start is not None:
            turned = float(window.turned[start])
            if is_racetrack(rule, window.outline(start), turned):
                return Found(window, start, "racetrack", turned, 0.0), None
    return None, bound


def _orbit(rule: LoiterRule, window: Window, start: int, turned: float) -> LoiterShape | None:
    """What a stretch that fits a radius is: an orbit once it has turned `min_turns`, a
    racetrack if it is long, narrow and has reversed `min_reversals` times (a holding
    pattern), and nothing yet if it is long and narrow but has reversed less (a
    racetrack in the making, which opens as one once it has)."""
    if "orbit" not in rule.shapes or abs(turned) < rule.min_turns * 360.0:
        return None
    if "racetrack" not in rule.shapes:
        return "orbit"
    outline = window.outline(start)
    if not shapes.is_oval(
        outline, max_leg_km=rule.max_leg_km, max_width_ratio=rule.max_width_ratio
    ):
        return "orbit"
    return "racetrack" if shapes.reverses(outline, turned, rule.min_reversals) else None


def is_racetrack(rule: LoiterRule, outline: Outline, turned_deg: float) -> bool:
    return "racetrack" in rule.shapes and shapes.is_racetrack(
        outline,
        turned_deg,
        max_leg_km=rule.max_leg_km,
        max_width_ratio=rule.max_width_ratio,
        min_reversals=rule.min_reversals,
    )


def _box_first(window: Window, span_km: float) -> int:
    """The first start whose stretch is no wider than `span_km` along x and y. Suffixes
    only grow wider towards the past, so the ones that fit the box are exactly those
    from there on (the last point alone is never wide)."""
    x, y = window.x, window.y
    wide = (shapes.suffix_extent(x) > span_km) | (shapes.suffix_extent(y) > span_km)
    return int(np.argmin(wide))


def _within(rule: LoiterRule, window: Window) -> tuple[int | None, int]:
    """The start of the longest stretch within `max_radius_km` of its centroid and
    lasting min_duration_s, and the first start the box bound allows (a stretch wider
    than 2 radii along x or y has a point more than one radius from any centre)."""
    radius = rule.max_radius_km
    first = _box_first(window, 2 * radius)
    x, y, times = window.x[first:], window.y[first:], window.times[first:]
    counts = np.arange(len(x), 0, -1, dtype=np.float64)
    cx = np.cumsum(x[::-1])[::-1] / counts
    cy = np.cumsum(y[::-1])[::-1] / counts
    for i in range(len(x)):
        if times[-1] - times[i] < rule.min_duration_s:
            break
        if np.hypot(x[i:] - cx[i], y[i:] - cy[i]).max() <= radius:
            return first + i, first
    return None, first


def _round_within(rule: LoiterRule, window: Window) -> int | None:
    """The start of the longest stretch that turns `min_turns`, spreads about as much
    across as along, and is round within `max_orbit_radius_km` of its centroid. Unlike
    within the dwell radius, the longest wide stretch often starts with turns the other
    way (circuits, an approach) that would hide the orbit after them, so every start is
    asked; the cheap questions first, of all starts at once."""
    radius = rule.max_orbit_radius_km
    along, across = window.spread
    candidate = (
        (np.abs(window.turned) >= rule.min_turns * 360.0)
        & (along + across <= radius * radius)  # the mean square distance
        & (across >= shapes.ROUND_SPREAD_RATIO**2 * along)
    )
    first = _box_first(window, 2 * radius)
    last_start = _last_start(rule, window)
    for i in np.flatnonzero(candidate[first : last_start + 1]).tolist():
        if shapes.round_within(window.x[first + i :], window.y[first + i :], radius):
            return int(first + i)
    return None


def _last_start(rule: LoiterRule, window: Window) -> int:
    """The latest start of a stretch lasting min_duration_s (-1: none)."""
    times = window.times
    return int(np.searchsorted(times, times[-1] - rule.min_duration_s, side="right")) - 1


def racetrack_span_km(rule: LoiterRule) -> float:
    """The largest extent along x or y of a stretch that fits a racetrack: its length is
    at most max_leg / (1 - ratio) (the leg plus a width of ratio x length), and its
    diagonal that times sqrt(1 + ratio^2)."""
    ratio = rule.max_width_ratio
    return rule.max_leg_km / (1 - ratio) * math.sqrt(1 + ratio * ratio)


def racetrack_fits(rule: LoiterRule, outline: Outline) -> bool:
    """Whether a stretch is narrow and short enough to be (part of) a racetrack."""
    narrow = outline.width_km <= rule.max_width_ratio * outline.length_km
    return narrow and outline.leg_km <= rule.max_leg_km


def _stretched(rule: LoiterRule, window: Window) -> int | None:
    """The start of the longest stretch that turns as a racetrack must, spreads across
    no more than a racetrack of `max_width_ratio` does, and fits one (long and narrow
    enough, legs short enough); the cheap questions first, of all starts at once."""
    needed = shapes.RACETRACK_TURN_PER_REVERSAL_DEG * rule.min_reversals
    most = shapes.stadium_spread_ratio(rule.max_width_ratio) * shapes.RACETRACK_SPREAD_SLACK
    longest = rule.max_leg_km / (1 - rule.max_width_ratio)
    along, across = window.spread
    candidate = (
        (np.abs(window.turned) >= needed)
        & (across <= most * most * along)
        & (4 * along <= longest * longest)  # twice the deviation is within the length
    )
    first = _box_first(window, racetrack_span_km(rule))
    last_start = _last_start(rule, window)
    for i in np.flatnonzero(candidate[first : last_start + 1]).tolist():
        if racetrack_fits(rule, window.outline(first + i)):
            return int(first + i)
    return None


def stretch_arrays(found: Found) -> tuple[list[TrackPoint], FloatArray, FloatArray]:
    """The points of a found stretch and their local km."""
    window, start = found.window, found.start
    return window.recent.kept(start), window.x[start:], window.y[start:]
