"""loiter: orbiting, flying a racetrack, holding or dwelling over one area for a long time.

A loiter is a pattern (`shapes`): an orbit (net turning `min_turns` within
`max_radius_km`, or round within `max_orbit_radius_km` for wide, slow orbits), a
racetrack (a long, narrow oval flown back and forth along one axis, legs up to
`max_leg_km`, reversing `min_reversals` times) or a dwell (within `max_radius_km` for
`min_dwell_s`, however it turns), each lasting `min_duration_s` at least. The look-back
that finds one is `service.detect.loiter_search`, its geometry `service.detect.shapes`;
this module is the rule's lifecycle.

The look-back costs the same whatever the fleet and the track length: it runs once per
`CHECK_EVERY_S` per aircraft, each aircraft at its own phase of that minute (so a fleet
that appeared at once is not checked all in one poll); it reads only the look-back
window; and a bounding-box bound finds, in one vectorised pass, the earliest point a
qualifying stretch could start at. That bound only moves forward as points arrive, so
an aircraft in transit is not looked at again before a stretch from there could last
`min_duration_s`. The wide orbit and the racetrack need net turning, so they are looked
for only while the aircraft has turned enough within `pattern_window_s`, counted point
by point as positions arrive (an aircraft in transit never has), whatever the bound,
and at most once per `PATTERN_CHECK_EVERY_S` (their look-back is hours long).
Each look-back finds what the exhaustive search over every start finds. Once open,
the episode follows the aircraft point by point, so a loiter of hours costs O(1) per
position, sends "still loitering" updates every `update_interval_s` of duration and
ends when the aircraft leaves the pattern's area or stays silent longer than
`max_gap_s` (also when the silence only shows as the next position arriving that
late). Every event names the
nearest town to the centre (`service.locate.places`, an offline table).

With `areas` set, a loiter opens only when its latest position lies inside one of the
named user areas (like `abroad_only`, which looks at that position's country); once
open it is followed as usual, even if the orbit drifts over the area's edge.
"""

from __future__ import annotations

import math
import zlib

import msgspec
import numpy as np

from service.detect import loiter_search as search
from service.detect import shapes
from service.detect.events import Event, LoiterFacts, LoiterShape
from service.detect.shapes import MIN_STEP_KM
from service.locate.geo import (
    EARTH_RADIUS_KM,
    bearing_deg,
    distance_and_bearing,
    haversine_km,
    local_km_of,
    turn_deg,
)
from service.locate.places import nearest_place
from service.models import Identity
from service.settings import LoiterRule
from service.track import Track, TrackPoint

# Opening is re-examined at most this often per aircraft: the look-back reads the
# whole window and nothing changes meaningfully between two 10 s polls.
CHECK_EVERY_S = 60.0
# The wide orbit and the racetrack are looked for at most this often: their look-back
# reads `pattern_window_s` (hours, ten times the dwell radius's points) and they take a
# lap and a half or more to confirm, so a later check delays an alert by a few minutes
# of an hour or more, while looking every minute cost an aircraft that turns a lot
# (a patrol flying to and fro) more than the rest of its processing.
PATTERN_CHECK_EVERY_S = 300.0
# An open loiter tolerates the aircraft this far beyond the pattern's outline before
# counting it as outside, so a drifting orbit is not cut in two.
EXIT_SLACK = 1.25
# The turning counted point by point may differ a little from a stretch's own (its
# first chord differs); the patterns are looked for from this share of what they need.
TURN_SLACK = 0.75
TURN_MARK_DEG = 90.0  # turning is counted in steps of this many degrees
KM_PER_DEG_LAT = math.radians(1.0) * EARTH_RADIUS_KM  # as in `local_km`


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
    shape: LoiterShape = "orbit"
    limit_km: float = 0.0  # orbit or dwell: farther from the centre is outside
    axis_deg: float | None = None  # racetrack: compass bearing of its axis
    half_length_km: float = 0.0  # racetrack: extent from the centre along the axis
    half_width_km: float = 0.0  # and across it


class LoiterState(msgspec.Struct):
    last_time: float | None = None
    next_check_at: float = 0.0  # the first point of the next check slot
    next_pattern_at: float = 0.0  # the first point of the next pattern check slot
    episode: Episode | None = None
    # No stretch within `max_radius_km` can qualify before this (the box bound).
    wait_until: float = 0.0
    # Turning counted point by point: the last chord's start and bearing, the degrees
    # turned since the last mark, and the times of the latest marks (each one
    # TURN_MARK_DEG of turning, either way).
    turn_lat: float | None = None
    turn_lon: float | None = None
    turn_bearing: float | None = None
    turned_deg: float = 0.0
    turn_marks: list[float] = []


def history_s(rule: LoiterRule) -> float:
    """Feed time of track the look-back reads, point by point."""
    window = search.radius_window(rule)
    if search.turn_needed(rule) < math.inf:
        window = max(window, search.pattern_window(rule))
    return window + CHECK_EVERY_S


def evaluate(
    rule: LoiterRule, identity: Identity, track: Track, state: LoiterState | None, now: float
) -> tuple[LoiterState, list[Event]]:
    """Advance the rule over the points that arrived since the last call."""
    state = state or LoiterState()
    events: list[Event] = []
    since = state.last_time + 1e-6 if state.last_time is not None else float("-inf")
    new_points = [p for p in track.since(since) if search.usable(rule, p)]
    if track.last is not None:
        state.last_time = track.last.time
    for point in new_points:
        _count_turning(rule, state, point)
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
    # This slot's check: skipped, or run now (at the slot's first point either way).
    state.next_check_at = _slot_start(identity.hex, last.time) + CHECK_EVERY_S
    patterns = last.time >= state.next_pattern_at and _turned_enough(rule, state, last.time)
    if patterns:
        slot = _slot_start(identity.hex, last.time, PATTERN_CHECK_EVERY_S)
        state.next_pattern_at = slot + PATTERN_CHECK_EVERY_S
    if last.time < state.wait_until and not patterns:
        return state, events
    latest = new_points[-1]  # where a stretch found now would end
    if rule.abroad_only and latest.country == identity.state:
        return state, events  # a loiter found now would be at home: not looked for
    if rule.areas and not set(rule.areas) & set(latest.areas):
        return state, events  # nor one outside the named areas
    opened, earliest_start = _find_loiter(rule, track, patterns)
    if earliest_start is not None:
        # No stretch within the radius can start before `earliest_start` from now on
        # (the bound only moves forward), so none qualifies before it has lasted
        # min_duration_s from there.
        could_open = _slot_start(identity.hex, earliest_start + rule.min_duration_s)
        state.wait_until = max(state.wait_until, could_open)
    if opened is not None:
        state.episode = opened
        events.append(_event(rule, "opened", opened, opened.last_inside, "loitering"))
    return state, events


def _slot_start(hex_: str, time: float, every_s: float = CHECK_EVERY_S) -> float:
    """Start of this aircraft's check slot holding `time`: slots are `every_s` long,
    at an offset of the aircraft's own (the same every run), and a check runs at the
    first point of a slot. Fixed slots make skipped checks skip whole slots, so the
    checks that do run are the ones that would have run anyway."""
    phase = zlib.crc32(hex_.encode()) % 1000 / 1000 * every_s
    return phase + math.floor((time - phase) / every_s) * every_s


def _marks_kept(rule: LoiterRule) -> int:
    needed = search.turn_needed(rule)
    return 1 if needed == math.inf else math.ceil(TURN_SLACK * needed / TURN_MARK_DEG) + 1


def _count_turning(rule: LoiterRule, state: LoiterState, point: TrackPoint) -> None:
    """Add the turn at `point` (chords as in `shapes.net_turn`), O(1)."""
    if state.turn_lat is None or state.turn_lon is None:
        state.turn_lat, state.turn_lon = point.lat, point.lon
        return
    step_km, bearing = distance_and_bearing(state.turn_lat, state.turn_lon, point.lat, point.lon)
    if step_km < MIN_STEP_KM:
        return
    if state.turn_bearing is not None:
        state.turned_deg += abs(turn_deg(state.turn_bearing, bearing))
        if state.turned_deg >= TURN_MARK_DEG:
            marks = int(state.turned_deg // TURN_MARK_DEG)
            state.turned_deg -= marks * TURN_MARK_DEG
            kept = _marks_kept(rule)
            state.turn_marks = [*state.turn_marks, *[point.time] * min(marks, kept)][-kept:]
    state.turn_bearing = bearing
    state.turn_lat, state.turn_lon = point.lat, point.lon


def _turned_enough(rule: LoiterRule, state: LoiterState, now: float) -> bool:
    """Whether the aircraft may have turned enough within the pattern window for a
    wide orbit or a racetrack: it turned less than one more mark than it has marks."""
    needed = search.turn_needed(rule)
    if needed == math.inf:
        return False
    since = now - search.pattern_window(rule)
    marks = sum(1 for t in state.turn_marks if t >= since)
    return (marks + 1) * TURN_MARK_DEG > TURN_SLACK * needed


def _find_loiter(
    rule: LoiterRule, track: Track, patterns: bool = True
) -> tuple[Episode | None, float | None]:
    """The loiter the recent track ends in, as an episode, if any (`loiter_search.find`:
    wide orbits and racetracks only with `patterns`); else the earliest time a stretch
    within the dwell radius could start at (None when unknown)."""
    found, bound = search.find(rule, track, patterns)
    return (_open(found), None) if found is not None else (None, bound)


def _open(found: search.Found) -> Episode:
    """The episode of a stretch found: its centre, shape and outline."""
    stretch, x, y = search.stretch_arrays(found)
    window, start, shape = found.window, found.start, found.shape
    outline = shapes.outline(x, y)
    last_bearing = _last_bearing(stretch)
    alts = [p.alt_ft for p in stretch if p.alt_ft is not None]
    episode = Episode(
        start=stretch[0].time,
        center_lat=float(window.lat[start:].mean()),
        center_lon=float(window.lon[start:].mean()),
        sum_lat=float(window.lat[start:].sum()),
        sum_lon=float(window.lon[start:].sum()),
        count=len(stretch),
        sum_radius_km=float(np.hypot(x - outline.cx, y - outline.cy).sum()),
        turn_sum_deg=found.turned,
        last_bearing=last_bearing,
        alt_min_ft=min(alts) if alts else None,
        alt_max_ft=max(alts) if alts else None,
        last_inside=stretch[-1],
        country=stretch[-1].country,
        shape=shape,
        limit_km=found.limit_km,
    )
    if shape == "racetrack":
        # Centred on the middle of the oval (the mean of a lap and a half is not); the
        # centre stays there while the episode is followed.
        along = (float(outline.along.max()) + float(outline.along.min())) / 2
        across = (float(outline.across.max()) + float(outline.across.min())) / 2
        angle = math.radians(90.0 - outline.axis_deg)
        east = outline.cx + along * math.cos(angle) - across * math.sin(angle)
        north = outline.cy + along * math.sin(angle) + across * math.cos(angle)
        origin = stretch[-1]
        episode.center_lat = origin.lat + north / KM_PER_DEG_LAT
        lon = origin.lon + east / (KM_PER_DEG_LAT * math.cos(math.radians(origin.lat)))
        episode.center_lon = (lon + 180.0) % 360.0 - 180.0
        episode.axis_deg = outline.axis_deg
        episode.half_length_km = outline.length_km / 2
        episode.half_width_km = outline.width_km / 2
    return episode


def _last_bearing(stretch: list[TrackPoint]) -> float | None:
    """Bearing of the last chord of MIN_STEP_KM or more, from where following goes on."""
    last = stretch[-1]
    for point in reversed(stretch[:-1]):
        if haversine_km(point.lat, point.lon, last.lat, last.lon) >= MIN_STEP_KM:
            return bearing_deg(point.lat, point.lon, last.lat, last.lon)
    return None


def _outside(rule: LoiterRule, episode: Episode, point: TrackPoint, distance: float) -> bool:
    """Whether a point lies beyond the pattern's outline (with the slack)."""
    if episode.axis_deg is None:
        return distance > max(episode.limit_km, rule.max_radius_km) * EXIT_SLACK
    along, across = _along_across(episode, point)
    drift = (EXIT_SLACK - 1) * episode.half_length_km
    return (
        abs(along) > episode.half_length_km * EXIT_SLACK
        or abs(across) > episode.half_width_km + drift
    )


def _along_across(episode: Episode, point: TrackPoint) -> tuple[float, float]:
    """A point's km along and across a racetrack's axis, from its centre."""
    assert episode.axis_deg is not None
    x, y = local_km_of(point.lat, point.lon, episode.center_lat, episode.center_lon)
    angle = math.radians(90.0 - episode.axis_deg)
    ux, uy = math.cos(angle), math.sin(angle)
    return x * ux + y * uy, y * ux - x * uy


def _follow(rule: LoiterRule, episode: Episode, point: TrackPoint) -> Event | None:
    distance = haversine_km(episode.center_lat, episode.center_lon, point.lat, point.lon)
    if _outside(rule, episode, point, distance):
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
    if episode.axis_deg is None:  # a racetrack keeps the middle of its oval
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
    racetrack = episode.axis_deg is not None
    length = 2 * episode.half_length_km
    width = 2 * episode.half_width_km
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
        shape=episode.shape,
        leg_km=max(length - width, 0.0) if racetrack else None,
        width_km=width if racetrack else None,
        axis_deg=episode.axis_deg,
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
