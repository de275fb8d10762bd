"""loiter: orbiting, holding or dwelling over one area for a long time.

Opening looks back over the recent track (split only at coverage gaps longer than
`max_gap_s`) for the longest stretch that stays within `max_radius_km` of its centre;
it alerts when that stretch lasts `min_duration_s` with `min_turns` net turns (an orbit
or racetrack), or lasts `min_dwell_s` whatever the turns (a survey or dwell).

The look-back costs the same whatever the fleet and the track length: it runs once per
`CHECK_EVERY_S` per aircraft, each aircraft at its own phase of that minute (so a fleet
that appeared at once is not checked all in one poll); it reads only the look-back
window; and a bounding-box bound finds, in one vectorised pass, the earliest point a
qualifying stretch could start at. That bound only moves forward as points arrive, so
an aircraft in transit is not looked at again before a stretch from there could last
`min_duration_s`. Each look-back finds what the exhaustive search over every start finds. Once open,
the episode follows the aircraft point by point, so a loiter of hours costs O(1) per
position, sends "still loitering" updates every `update_interval_s` of duration and ends
when the aircraft leaves the area or stays silent longer than `max_gap_s` (also when
the silence only shows as the next position arriving that late). Every event names
the nearest town to the centre (`service.locate.places`, an offline table).

With `areas` set, a loiter opens only when its latest position lies inside one of the
named user areas (like `abroad_only`, which looks at that position's country); once
open it is followed as usual, even if the orbit drifts over the area's edge.
"""

from __future__ import annotations

import math
import zlib

import msgspec
import numpy as np

from service.detect.events import Event, LoiterFacts
from service.locate.geo import bearing_deg, haversine_km, local_km, turn_deg
from service.locate.places import nearest_place
from service.models import Identity
from service.settings import LoiterRule
from service.track import Track, TrackPoint

# Opening is re-examined at most this often per aircraft: the look-back reads the
# whole window and nothing changes meaningfully between two 10 s polls.
CHECK_EVERY_S = 60.0
# Consecutive points closer than this give no usable bearing (position noise).
MIN_STEP_KM = 0.05
# An open loiter tolerates the aircraft this far beyond the opening radius before
# counting it as outside, so a drifting orbit is not cut in two.
EXIT_SLACK = 1.25


class Episode(msgspec.Struct):
    start: float
    center_lat: float
    center_lon: float
    sum_lat: float
    sum_lon: float
    count: int
    sum_radius_km: float
    turn_sum_deg: float
    last_bearing: float | None
    alt_min_ft: int | None
    alt_max_ft: int | None
    last_inside: TrackPoint
    updates_sent: int = 0
    outside_since: float | None = None
    country: str | None = None


class LoiterState(msgspec.Struct):
    last_time: float | None = None
    next_check_at: float = 0.0
    episode: Episode | None = None


def history_s(rule: LoiterRule) -> float:
    """Feed time of track the look-back reads, point by point."""
    return max(rule.min_duration_s, rule.min_dwell_s) + CHECK_EVERY_S


def evaluate(
    rule: LoiterRule, identity: Identity, track: Track, state: LoiterState | None, now: float
) -> tuple[LoiterState, list[Event]]:
    """Advance the rule over the points that arrived since the last call."""
    state = state or LoiterState()
    events: list[Event] = []
    since = state.last_time + 1e-6 if state.last_time is not None else float("-inf")
    new_points = [p for p in track.since(since) if _usable(rule, p)]
    if track.last is not None:
        state.last_time = track.last.time
    episode = state.episode
    if episode is not None:
        for point in new_points:
            if point.time - episode.last_inside.time >= rule.max_gap_s:
                # Heard again after a silence that ends the loiter (no other aircraft's
                # snapshot advanced the clock meanwhile, as in a one-aircraft replay).
                events.append(_resolved(rule, episode, point.time, "signal lost"))
                state.episode = episode = None
                break
            event = _follow(rule, episode, point)
            if event is not None:
                events.append(event)
                if event.kind == "resolved":
                    state.episode = episode = None
                    break
        if episode is not None and now - episode.last_inside.time >= rule.max_gap_s:
            events.append(_resolved(rule, episode, now, "signal lost"))
            state.episode = None
        return state, events
    last = track.last
    if last is None or not new_points:
        return state, events
    if last.time < state.next_check_at:
        return state, events
    state.next_check_at = _slot_start(identity.hex, last.time) + CHECK_EVERY_S
    latest = new_points[-1]  # where a stretch found now would end
    if rule.abroad_only and latest.country == identity.state:
        return state, events  # a loiter found now would be at home: not looked for
    if rule.areas and not set(rule.areas) & set(latest.areas):
        return state, events  # nor one outside the named areas
    opened, earliest_start = _find_loiter(rule, track)
    if earliest_start is not None:
        # No stretch can start before `earliest_start` from now on (the bound only moves
        # forward), so none qualifies before it has lasted min_duration_s from there.
        could_open = _slot_start(identity.hex, earliest_start + rule.min_duration_s)
        state.next_check_at = max(state.next_check_at, could_open)
    if opened is not None:
        state.episode = opened
        events.append(_event(rule, "opened", opened, opened.last_inside, "loitering"))
    return state, events


def _usable(rule: LoiterRule, point: TrackPoint) -> bool:
    if point.on_ground:
        return False
    return point.gs_kt is None or point.gs_kt >= rule.min_speed_kt


def _slot_start(hex_: str, time: float) -> float:
    """Start of this aircraft's check slot holding `time`: slots are CHECK_EVERY_S long,
    at an offset of the aircraft's own (the same every run), and a check runs at the
    first point of a slot. Fixed slots make skipped checks skip whole slots, so the
    checks that do run are the ones that would have run anyway."""
    phase = zlib.crc32(hex_.encode()) % 1000 / 1000 * CHECK_EVERY_S
    return phase + math.floor((time - phase) / CHECK_EVERY_S) * CHECK_EVERY_S


def _find_loiter(rule: LoiterRule, track: Track) -> tuple[Episode | None, float | None]:
    """The longest recent stretch within the radius, if it qualifies as a loiter; and
    when none can, the earliest time a qualifying stretch could start at (None when
    unknown, as for a stretch that is in the radius but has not turned enough yet)."""
    last = track.last
    assert last is not None
    lookback = max(rule.min_duration_s, rule.min_dwell_s)
    points = [p for p in track.since(last.time - lookback) if _usable(rule, p)]
    # Only the stretch after the last long coverage gap counts.
    for i in range(len(points) - 1, 0, -1):
        if points[i].time - points[i - 1].time > rule.max_gap_s:
            points = points[i:]
            break
    if len(points) < 3 or points[-1].time - points[0].time < rule.min_duration_s:
        return None, points[0].time if points else None
    lat = np.array([p.lat for p in points])
    lon = np.array([p.lon for p in points])
    x, y = local_km(lat, lon, last.lat, last.lon)
    times = np.array([p.time for p in points])
    # Suffix centroids from the end: centre of points[i:] for every i.
    n = len(points)
    # A stretch wider than 2 radii along x or y cannot fit (its farthest point is more
    # than one radius from any centre). Suffixes only grow wider towards the past, so
    # the ones that fit the box are exactly those from `first` on.
    width = 2 * rule.max_radius_km
    wide = (_suffix_extent(x) > width) | (_suffix_extent(y) > width)
    first = int(np.argmin(wide))  # the last point alone is never wide
    counts = np.arange(n, 0, -1, dtype=np.float64)
    cx = np.cumsum(x[::-1])[::-1] / counts
    cy = np.cumsum(y[::-1])[::-1] / counts
    best: int | None = None
    for i in range(first, n):
        if times[-1] - times[i] < rule.min_duration_s:
            break
        radius = np.hypot(x[i:] - cx[i], y[i:] - cy[i]).max()
        if radius <= rule.max_radius_km:
            best = i
            break
    if best is None:
        return None, float(times[first])
    stretch = points[best:]
    turns_deg, last_bearing = _turns(stretch)
    duration = stretch[-1].time - stretch[0].time
    if abs(turns_deg) < rule.min_turns * 360.0 and duration < rule.min_dwell_s:
        return None, None
    kx = x[best:] - cx[best]
    ky = y[best:] - cy[best]
    center_lat = float(lat[best:].mean())
    center_lon = float(lon[best:].mean())
    alts = [p.alt_ft for p in stretch if p.alt_ft is not None]
    return Episode(
        start=stretch[0].time,
        center_lat=center_lat,
        center_lon=center_lon,
        sum_lat=float(lat[best:].sum()),
        sum_lon=float(lon[best:].sum()),
        count=len(stretch),
        sum_radius_km=float(np.hypot(kx, ky).sum()),
        turn_sum_deg=turns_deg,
        last_bearing=last_bearing,
        alt_min_ft=min(alts) if alts else None,
        alt_max_ft=max(alts) if alts else None,
        last_inside=stretch[-1],
        country=stretch[-1].country,
    ), None


def _suffix_extent(values: np.ndarray) -> np.ndarray:
    """max - min of values[i:] for every i."""
    backwards = values[::-1]
    return (np.maximum.accumulate(backwards) - np.minimum.accumulate(backwards))[::-1]


def _turns(points: list[TrackPoint]) -> tuple[float, float | None]:
    """Net signed heading change along the chords between points (gap tolerant)."""
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


def _follow(rule: LoiterRule, episode: Episode, point: TrackPoint) -> Event | None:
    distance = haversine_km(episode.center_lat, episode.center_lon, point.lat, point.lon)
    if distance > rule.max_radius_km * EXIT_SLACK:
        if episode.outside_since is None:
            episode.outside_since = point.time
        if point.time - episode.outside_since >= rule.exit_confirm_s:
            return _resolved(rule, episode, point.time, "left the area")
        return None
    episode.outside_since = None
    previous = episode.last_inside
    if haversine_km(previous.lat, previous.lon, point.lat, point.lon) >= MIN_STEP_KM:
        bearing = bearing_deg(previous.lat, previous.lon, point.lat, point.lon)
        if episode.last_bearing is not None:
            episode.turn_sum_deg += turn_deg(episode.last_bearing, bearing)
        episode.last_bearing = bearing
    episode.sum_lat += point.lat
    episode.sum_lon += point.lon
    episode.count += 1
    episode.center_lat = episode.sum_lat / episode.count
    episode.center_lon = episode.sum_lon / episode.count
    episode.sum_radius_km += distance
    if point.alt_ft is not None:
        episode.alt_min_ft = min(episode.alt_min_ft or point.alt_ft, point.alt_ft)
        episode.alt_max_ft = max(episode.alt_max_ft or point.alt_ft, point.alt_ft)
    episode.last_inside = point
    episode.country = point.country
    due = math.floor((point.time - episode.start) / rule.update_interval_s)
    if due > episode.updates_sent:
        episode.updates_sent = due
        hours = due * rule.update_interval_s / 3600
        return _event(rule, "update", episode, point, f"still loitering after {hours:g} h")
    return None


def _facts(episode: Episode, at: float) -> LoiterFacts:
    return LoiterFacts(
        center_lat=episode.center_lat,
        center_lon=episode.center_lon,
        radius_km=episode.sum_radius_km / max(episode.count, 1),
        turns=abs(episode.turn_sum_deg) / 360.0,
        duration_s=min(at, episode.last_inside.time) - episode.start,
        alt_min_ft=episode.alt_min_ft,
        alt_max_ft=episode.alt_max_ft,
        country=episode.country,
        # A table lookup (loaded once), only when an event is produced.
        place=nearest_place(episode.center_lat, episode.center_lon),
    )


def _event(rule: LoiterRule, kind: str, episode: Episode, point: TrackPoint, note: str) -> Event:
    return Event(
        rule_id=rule.id,
        kind="opened" if kind == "opened" else "update",
        episode_start=episode.start,
        at=point.time,
        point=point,
        facts=_facts(episode, point.time),
        note=note,
    )


def _resolved(rule: LoiterRule, episode: Episode, at: float, note: str) -> Event:
    return Event(
        rule_id=rule.id,
        kind="resolved",
        episode_start=episode.start,
        at=at,
        point=episode.last_inside,
        facts=_facts(episode, episode.last_inside.time),
        note=note,
        ended_at=episode.last_inside.time,
    )
