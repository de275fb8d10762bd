"""The shape of a stretch of track: pure geometry on points in local km.

How far a stretch strays from its centre (an orbit's radius), its principal axis (the
direction of most spread, from the 2 x 2 covariance: principal component analysis),
its length and width along and across that axis, how often it reverses along the axis,
and its net turning. The loiter rule (`service.detect.loiter`) decides what qualifies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from service.locate.geo import bearing_deg, haversine_km, turn_deg
from service.track import TrackPoint

FloatArray = npt.NDArray[np.float64]

# Consecutive points closer than this give no usable bearing (position noise).
MIN_STEP_KM = 0.05
# A reversal along the axis counts once the aircraft has come back this share of the
# stretch's length from its farthest point: position noise and the wobble of a route
# (a zig-zag) never come back that far, the legs of a racetrack always do.
REVERSAL_SHARE = 0.5
# A racetrack turns the same way at both ends, so each reversal adds about 180 degrees
# of net turning; at least this much per reversal is asked for. Survey lines, out-and-
# backs and parabolic flights turn alternately left and right and net to about zero.
RACETRACK_TURN_PER_REVERSAL_DEG = 135.0
# A racetrack flies its legs again and again on the same two tracks: the steps flown
# up the axis lie on one side, those down it on the other (medians this share of the
# width apart), each within this share of the width (from the 15th to the 85th
# percentile). Survey lines move across with every line and fail both.
RETRACE_SEPARATION = 0.6
RETRACE_SPREAD = 0.3
# An orbit flown wide is round: its points' distances from the centre vary (from the
# 10th to the 90th percentile) by at most this share of the median distance. A wind
# makes a circle an oval, a few tenths; a drawing in the sky, an approach and
# circuits, or a fire-fighting circuit stray far more.
ROUND_SPREAD = 0.5
# Cheaper than the percentiles, asked of every start first: a round orbit spreads about
# as much across its principal axis as along it (standard deviations at least this
# share: an orbit stretched by the wind to an oval three quarters as wide passes).
ROUND_SPREAD_RATIO = 0.6
# And a racetrack spreads across its axis at most as much as a stadium of the widest
# ratio allowed does, with this much to spare for position noise and drift.
RACETRACK_SPREAD_SLACK = 1.15
# A step counts as flown along the axis when at least this share of it is.
ALONG_SHARE = 0.8


@dataclass(frozen=True, slots=True)
class Outline:
    """A stretch seen along its principal axis."""

    cx: float  # centroid, km east of the projection's origin
    cy: float  # centroid, km north
    axis_deg: float  # compass bearing of the axis, 0 to 180
    length_km: float  # extent along the axis
    width_km: float  # extent across it
    along: FloatArray  # each point's position along the axis, km from the centroid
    across: FloatArray  # and across it (to the left of the axis)

    @property
    def leg_km(self) -> float:
        """The straight part of a racetrack: the length less its two end turns (half
        circles as wide as the pattern)."""
        return max(self.length_km - self.width_km, 0.0)


def outline(x: FloatArray, y: FloatArray) -> Outline:
    """The principal axis of the points and their extent along and across it."""
    n = len(x)
    cx, cy = float(x.sum()) / n, float(y.sum()) / n
    dx, dy = x - cx, y - cy
    sxx, syy, sxy = float(dx @ dx), float(dy @ dy), float(dx @ dy)  # n times the moments
    angle = 0.5 * math.atan2(2 * sxy, sxx - syy)  # from east, counter-clockwise
    ux, uy = math.cos(angle), math.sin(angle)
    along = dx * ux + dy * uy
    across = dy * ux - dx * uy
    return Outline(
        cx=cx,
        cy=cy,
        axis_deg=(90.0 - math.degrees(angle)) % 180.0,
        length_km=float(along.max() - along.min()),
        width_km=float(across.max() - across.min()),
        along=along,
        across=across,
    )


def max_radius(x: FloatArray, y: FloatArray) -> float:
    """The farthest point's distance from the centroid."""
    return float(np.hypot(x - x.mean(), y - y.mean()).max())


def round_within(x: FloatArray, y: FloatArray, radius_km: float) -> bool:
    """Whether the points lie around a circle no wider than `radius_km` about their
    centroid (the share of their spread is asked separately: `ROUND_SPREAD_RATIO`)."""
    n = len(x)
    distance = np.hypot(x - float(x.sum()) / n, y - float(y.sum()) / n)
    if distance.max() > radius_km:
        return False
    p10, p50, p90 = np.percentile(distance, [10, 50, 90])
    return bool(p90 - p10 <= ROUND_SPREAD * p50)


def spread(x: FloatArray, y: FloatArray) -> tuple[float, float]:
    """Variances along the principal axis and across it (the covariance's eigenvalues,
    largest first)."""
    n = len(x)
    dx, dy = x - float(x.sum()) / n, y - float(y.sum()) / n
    return _eigen(float(dx @ dx) / n, float(dy @ dy) / n, float(dx @ dy) / n)


def suffix_spread(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """`spread` of the points from each one to the end, all in one pass."""
    counts = np.arange(len(x), 0, -1, dtype=np.float64)

    def mean(values: FloatArray) -> FloatArray:
        return np.cumsum(values[::-1])[::-1] / counts

    mx, my = mean(x), mean(y)
    sxx = mean(x * x) - mx * mx
    syy = mean(y * y) - my * my
    sxy = mean(x * y) - mx * my
    half = (sxx + syy) / 2
    gap = np.sqrt(((sxx - syy) / 2) ** 2 + sxy * sxy)
    return half + gap, np.maximum(half - gap, 0.0)


def _eigen(sxx: float, syy: float, sxy: float) -> tuple[float, float]:
    half = (sxx + syy) / 2
    gap = math.sqrt(((sxx - syy) / 2) ** 2 + sxy * sxy)
    return half + gap, max(half - gap, 0.0)


def stadium_spread_ratio(width_ratio: float) -> float:
    """Standard deviation across over along, of positions flown evenly around a stadium
    (two straight legs joined by half circles) `width_ratio` as wide as it is long."""
    r = width_ratio / 2  # of a stadium 1 long
    h = max(0.5 - r, 0.0)  # half the straight part
    perimeter = 4 * h + 2 * math.pi * r
    across = (4 * h * r * r + math.pi * r**3) / perimeter
    along = (
        4 * h**3 / 3 + 2 * (math.pi * h * h * r + 4 * h * r * r + math.pi * r**3 / 2)
    ) / perimeter
    return math.sqrt(across / along)


def suffix_extent(values: FloatArray) -> FloatArray:
    """max - min of values[i:] for every i."""
    backwards = values[::-1]
    return (np.maximum.accumulate(backwards) - np.minimum.accumulate(backwards))[::-1]


def reversals(along: FloatArray, hysteresis_km: float) -> int:
    """How often the motion along the axis changes direction, each change counted once
    the aircraft has come back `hysteresis_km` from its farthest point that way."""
    count = 0
    direction = 0  # +1 moving up the axis, -1 down, 0 not known yet
    low = high = float(along[0])
    for value in along[1:].tolist():
        if direction >= 0:
            if value > high:
                high = value
            elif high - value >= hysteresis_km:
                count += direction > 0
                direction, low = -1, value
        if direction <= 0:
            if value < low:
                low = value
            elif value - low >= hysteresis_km:
                count += direction < 0
                direction, high = 1, value
    return count


def retraced(shape: Outline) -> bool:
    """Whether the legs are flown again on the same two tracks, one each way."""
    if shape.width_km <= 0:
        return True  # a line flown back and forth
    du, dv = np.diff(shape.along), np.diff(shape.across)
    step = np.hypot(du, dv)
    middle = (shape.across[1:] + shape.across[:-1]) / 2
    up = middle[(du > ALONG_SHARE * step) & (step > 0)]
    down = middle[(du < -ALONG_SHARE * step) & (step > 0)]
    if not len(up) or not len(down):
        return False
    width = shape.width_km
    up15, up50, up85 = _percentiles(up)
    down15, down50, down85 = _percentiles(down)
    if abs(up50 - down50) < RETRACE_SEPARATION * width:
        return False
    return bool(max(up85 - up15, down85 - down15) <= RETRACE_SPREAD * width)


def _percentiles(values: FloatArray) -> tuple[float, float, float]:
    """The 15th, 50th and 85th percentiles, interpolated linearly as `np.percentile`
    does by default, from one sort (np.percentile's own overhead was most of the cost
    of `retraced`)."""
    ordered = np.sort(values)
    last = len(ordered) - 1
    out = []
    for share in (0.15, 0.50, 0.85):
        at = last * share
        below = math.floor(at)
        above = min(below + 1, last)
        low, high = float(ordered[below]), float(ordered[above])
        out.append(low + (high - low) * (at - below))
    return out[0], out[1], out[2]


def net_turn(points: list[TrackPoint]) -> tuple[float, float | None]:
    """Net signed heading change along the chords between points (gap tolerant), and
    the last chord's bearing."""
    total = 0.0
    previous: float | None = None
    anchor = points[0]
    for point in points[1:]:
        if haversine_km(anchor.lat, anchor.lon, point.lat, point.lon) < MIN_STEP_KM:
            continue
        bearing = bearing_deg(anchor.lat, anchor.lon, point.lat, point.lon)
        if previous is not None:
            total += turn_deg(previous, bearing)
        previous = bearing
        anchor = point
    return total, previous


def turning(x: FloatArray, y: FloatArray) -> FloatArray:
    """The turn (degrees, right positive) from the chord leaving each point to the next
    chord, for the points where a chord leaves; 0 elsewhere. Chords join consecutive
    points; those shorter than MIN_STEP_KM give no usable bearing and are left out."""
    out = np.zeros(len(x))
    dx, dy = np.diff(x), np.diff(y)
    chords = np.flatnonzero(np.hypot(dx, dy) >= MIN_STEP_KM)  # chord k: point k to k + 1
    if len(chords) >= 2:
        bearings = np.degrees(np.arctan2(dx[chords], dy[chords]))
        out[chords[:-1]] = (np.diff(bearings) + 180.0) % 360.0 - 180.0
    return out


def suffix_turns(turns: FloatArray) -> FloatArray:
    """Net turning of the stretch from each point to the end (from `turning`): the
    turns between chords that leave it or later points, so the same whatever came
    before the stretch."""
    return np.cumsum(turns[::-1])[::-1]


def is_racetrack(
    shape: Outline,
    turned_deg: float,
    *,
    max_leg_km: float,
    max_width_ratio: float,
    min_reversals: int,
) -> bool:
    """Long and narrow, legs within `max_leg_km` flown again on the same tracks,
    reversing along its axis at least `min_reversals` times, turning the same way at
    each end."""
    return reverses(shape, turned_deg, min_reversals) and is_oval(
        shape, max_leg_km=max_leg_km, max_width_ratio=max_width_ratio
    )


def reverses(shape: Outline, turned_deg: float, min_reversals: int) -> bool:
    """Whether a stretch reverses along its axis `min_reversals` times, turning the
    same way at each end (about 180 degrees a reversal)."""
    if abs(turned_deg) < RACETRACK_TURN_PER_REVERSAL_DEG * min_reversals:
        return False
    return reversals(shape.along, REVERSAL_SHARE * shape.length_km) >= min_reversals


def is_oval(shape: Outline, *, max_leg_km: float, max_width_ratio: float) -> bool:
    """Long and narrow, legs within `max_leg_km`, flown again on the same tracks: a
    racetrack, whether or not it has reversed often enough yet."""
    if shape.length_km <= 0 or shape.width_km > max_width_ratio * shape.length_km:
        return False
    return shape.leg_km <= max_leg_km and retraced(shape)
