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
RETRACE_SPREAD = 0.5
# An orbit flown wide is round: its points' distances from the centre vary (from the
# 10th to the 90th percentile) by at most this share of the median distance. A wind
# makes a circle an oval, a few tenths; a drawing in the sky, an approach and
# circuits, or a fire-fighting circuit stray far more.
ROUND_SPREAD = 0.5
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
    cx, cy = float(x.mean()), float(y.mean())
    dx, dy = x - cx, y - cy
    sxx, syy, sxy = float((dx * dx).mean()), float((dy * dy).mean()), float((dx * dy).mean())
    angle = 0.5 * math.atan2(2 * sxy, sxx - syy)  # from east, counter-clockwise
    ux, uy = math.cos(angle), math.sin(angle)
    along = dx * ux + dy * uy
    across = dy * ux - dx * uy
    return Outline(
        cx=cx,
        cy=cy,
        axis_deg=(90.0 - math.degrees(angle)) % 180.0,
        length_km=float(np.ptp(along)),
        width_km=float(np.ptp(across)),
        along=along,
        across=across,
    )


def max_radius(x: FloatArray, y: FloatArray) -> float:
    """The farthest point's distance from the centroid."""
    return float(np.hypot(x - x.mean(), y - y.mean()).max())


def round_within(x: FloatArray, y: FloatArray, radius_km: float) -> bool:
    """Whether the points lie around a circle no wider than `radius_km` about their
    centroid."""
    distance = np.hypot(x - x.mean(), y - y.mean())
    if distance.max() > radius_km:
        return False
    p10, p50, p90 = np.percentile(distance, [10, 50, 90])
    return bool(p90 - p10 <= ROUND_SPREAD * p50)


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
    if abs(float(np.median(up)) - float(np.median(down))) < RETRACE_SEPARATION * width:
        return False
    return all(
        np.percentile(side, 85) - np.percentile(side, 15) <= RETRACE_SPREAD * width
        for side in (up, down)
    )


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


def turning(points: list[TrackPoint]) -> FloatArray:
    """Signed heading change accumulated along the chords up to each point, as
    `net_turn` counts it from the first point: the stretch from point i on turns about
    `turning[-1] - turning[i + 1]` (exactly, where points are MIN_STEP_KM apart)."""
    out = np.zeros(len(points))
    total = 0.0
    previous: float | None = None
    anchor = points[0]
    for i, point in enumerate(points[1:], start=1):
        if haversine_km(anchor.lat, anchor.lon, point.lat, point.lon) >= MIN_STEP_KM:
            bearing = bearing_deg(anchor.lat, anchor.lon, point.lat, point.lon)
            if previous is not None:
                total += turn_deg(previous, bearing)
            previous = bearing
            anchor = point
        out[i] = total
    return out


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
    if abs(turned_deg) < RACETRACK_TURN_PER_REVERSAL_DEG * min_reversals:
        return False
    return is_oval(shape, max_leg_km=max_leg_km, max_width_ratio=max_width_ratio) and (
        reversals(shape.along, REVERSAL_SHARE * shape.length_km) >= min_reversals
    )


def is_oval(shape: Outline, *, max_leg_km: float, max_width_ratio: float) -> bool:
    """Long and narrow, legs within `max_leg_km`, flown again on the same tracks: a
    racetrack, whether or not it has reversed often enough yet."""
    if shape.length_km <= 0 or shape.width_km > max_width_ratio * shape.length_km:
        return False
    return shape.leg_km <= max_leg_km and retraced(shape)
