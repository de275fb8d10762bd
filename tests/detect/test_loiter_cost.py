"""The loiter look-back costs the same whatever the fleet and the track, and finds what
the exhaustive search finds.

The reference below is the exhaustive search (every start of the look-back window
tried, oldest first, for each pattern: orbit or dwell within the radius, wide orbit,
racetrack); the rule's own search skips the starts a bounding box rules out, asks the
cheap questions of all starts at once, skips checks no stretch could pass yet, and
skips wide orbits and racetracks while the aircraft has not turned enough. On real
recorded orbits and hand-made patterns both must give the same stretch and shape at
every check, and the same episodes over whole recordings.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from service.detect import loiter, shapes
from service.detect import loiter_search as search
from service.detect.events import Event
from service.feeds.replay import iter_snapshots
from service.locate.geo import local_km
from service.models import Identity
from service.settings import LoiterRule
from service.track import Track, TrackPoint
from tests.detect import patterns
from tests.detect.test_rules import T0, orbit, point, straight

# Real orbits: firefighting aircraft over California, surveillance aircraft over the
# 2016 conventions, and the TROY701 demo recording's orbit over Mexico.
ORBITING = ("calfire.jsonl.gz", "buzzfeed_dnc_2016.jsonl.gz", "buzzfeed_rnc_2016.jsonl.gz")
RULES = [
    LoiterRule(id="default"),
    LoiterRule(id="tight", max_radius_km=8, min_duration_s=900, min_dwell_s=1800),
    LoiterRule(id="wide", max_radius_km=60, min_turns=3),
    LoiterRule(id="racetrack", shapes=["racetrack"], min_reversals=2, max_leg_km=60),
]


def recent(rule: LoiterRule, track: Track, seconds: float) -> list[TrackPoint]:
    """The usable points of the last `seconds`, after the last long coverage gap."""
    last = track.last
    assert last is not None
    points = [p for p in track.since(last.time - seconds) if search.usable(rule, p)]
    for i in range(len(points) - 1, 0, -1):
        if points[i].time - points[i - 1].time > rule.max_gap_s:
            return points[i:]
    return points


def longest(
    rule: LoiterRule,
    points: list[TrackPoint],
    fits: Callable[[Any, Any], bool],
    enough: Callable[[float], bool] = lambda turned: True,
) -> tuple[list[TrackPoint], float] | None:
    """The longest stretch ending at the latest point that turns enough (along the
    whole window's chords), fits and lasts min_duration_s, trying every start, oldest
    first; with its net turning."""
    if len(points) < 3 or points[-1].time - points[0].time < rule.min_duration_s:
        return None
    last = points[-1]
    x, y = local_km(
        np.array([p.lat for p in points]), np.array([p.lon for p in points]), last.lat, last.lon
    )
    turned_from = shapes.suffix_turns(shapes.turning(x, y))
    for i in range(len(points)):
        if points[-1].time - points[i].time < rule.min_duration_s:
            return None
        turned = float(turned_from[i])
        if enough(turned) and fits(x[i:], y[i:]):
            return points[i:], turned
    return None


def outline(stretch: list[TrackPoint]) -> shapes.Outline:
    x, y = local_km(np.array([p.lat for p in stretch]), np.array([p.lon for p in stretch]),
                    stretch[-1].lat, stretch[-1].lon)  # fmt: skip
    return shapes.outline(x, y)


def racetrack(rule: LoiterRule, stretch: list[TrackPoint], turned: float) -> bool:
    return "racetrack" in rule.shapes and shapes.is_racetrack(
        outline(stretch), turned, max_leg_km=rule.max_leg_km,
        max_width_ratio=rule.max_width_ratio, min_reversals=rule.min_reversals,
    )  # fmt: skip


def orbit_shape(rule: LoiterRule, stretch: list[TrackPoint], turned: float) -> str | None:
    """An orbit, a racetrack (long and narrow, reversing enough) or neither (long and
    narrow but not reversing enough yet, or not turning enough)."""
    if "orbit" not in rule.shapes or abs(turned) < rule.min_turns * 360.0:
        return None
    if racetrack(rule, stretch, turned):
        return "racetrack"
    oval = "racetrack" in rule.shapes and shapes.is_oval(
        outline(stretch), max_leg_km=rule.max_leg_km, max_width_ratio=rule.max_width_ratio
    )
    return None if oval else "orbit"


def exhaustive(rule: LoiterRule, track: Track) -> tuple[float, int, str] | None:
    """(start, points, shape) of the loiter found by trying every start: the longest
    recent stretch within the radius if it is an orbit or a dwell, else the longest
    that turns enough and is round within the orbit radius if it is an orbit, else the
    longest that turns enough for a racetrack and is long and narrow if it is one."""
    radius_window = max(rule.min_duration_s, rule.min_dwell_s)
    pattern_window = max(radius_window, rule.pattern_window_s, rule.min_duration_s)
    window = recent(rule, track, pattern_window)
    if len(window) < 3 or window[-1].time - window[0].time < rule.min_duration_s:
        return None
    assert track.last is not None  # the last position, usable or not, sets the windows
    cutoff = track.last.time - radius_window
    last = window[-1]
    x, y = local_km(np.array([p.lat for p in window]), np.array([p.lon for p in window]),
                    last.lat, last.lon)  # fmt: skip
    turns = shapes.suffix_turns(shapes.turning(x, y))
    turned_from = {p.time: float(turns[i]) for i, p in enumerate(window)}

    def in_radius(x: Any, y: Any) -> bool:
        return bool(np.hypot(x - x.mean(), y - y.mean()).max() <= rule.max_radius_km)

    within = [p for p in window if p.time >= cutoff]
    if len(within) < 3 or within[-1].time - within[0].time < rule.min_duration_s:
        return None  # nothing recent enough lasts: not looked for over the longer window
    found = longest(rule, within, in_radius)
    if found is not None:
        stretch, _ = found
        turned = turned_from[stretch[0].time]
        shape = orbit_shape(rule, stretch, turned)
        if shape is not None:
            return stretch[0].time, len(stretch), shape
        if "dwell" in rule.shapes and stretch[-1].time - stretch[0].time >= rule.min_dwell_s:
            return stretch[0].time, len(stretch), "dwell"
    if "orbit" in rule.shapes and rule.max_orbit_radius_km > rule.max_radius_km:

        def round_orbit(x: Any, y: Any) -> bool:
            along, across = shapes.spread(x, y)
            radius = rule.max_orbit_radius_km
            return across >= shapes.ROUND_SPREAD_RATIO**2 * along and shapes.round_within(
                x, y, radius
            )

        found = longest(
            rule, window, round_orbit, lambda turned: abs(turned) >= rule.min_turns * 360.0
        )
        if found is not None:
            shape = orbit_shape(rule, *found)
            if shape is not None:
                return found[0][0].time, len(found[0]), shape
    if "racetrack" in rule.shapes:
        most = shapes.stadium_spread_ratio(rule.max_width_ratio) * shapes.RACETRACK_SPREAD_SLACK

        def fits(x: Any, y: Any) -> bool:
            along, across = shapes.spread(x, y)
            if across > most * most * along:
                return False
            o = shapes.outline(x, y)  # long and narrow enough
            return o.width_km <= rule.max_width_ratio * o.length_km and o.leg_km <= rule.max_leg_km

        needed = shapes.RACETRACK_TURN_PER_REVERSAL_DEG * rule.min_reversals
        found = longest(rule, window, fits, lambda turned: abs(turned) >= needed)
        if found is not None and racetrack(rule, *found):
            return found[0][0].time, len(found[0]), "racetrack"
    return None


def searched(rule: LoiterRule, track: Track) -> tuple[float, int, str] | None:
    found, _ = loiter._find_loiter(rule, track)
    return (found.start, found.count, found.shape) if found is not None else None


def recorded_tracks(path: Path) -> dict[str, list[TrackPoint]]:
    """Every aircraft's airborne points in a recording, in time order."""
    tracks: dict[str, list[TrackPoint]] = defaultdict(list)
    for item in iter_snapshots(path):
        assert item.snapshot is not None, item.error
        for p in item.snapshot.positions:
            track = tracks[p.hex]
            if not track or p.time > track[-1].time:
                track.append(point(p.time, p.lat, p.lon, None, gs=p.gs_kt or 100.0))
    return tracks


@pytest.mark.timeout(300)
def test_the_look_back_finds_what_the_exhaustive_search_finds_on_recorded_orbits(
    track_recordings: Path, troy701_path: Path
) -> None:
    compared = found = 0
    for path in [*(track_recordings / name for name in ORBITING), troy701_path]:
        for points in recorded_tracks(path).values():
            track = Track(10_000)
            next_check = -math.inf
            for p in points:
                track.append(p)
                if p.time < next_check:
                    continue
                next_check = p.time + loiter.CHECK_EVERY_S
                for rule in RULES:
                    expected = exhaustive(rule, track)
                    assert searched(rule, track) == expected, (path.name, p.time)
                    compared += 1
                    found += expected is not None
    assert compared > 5_000 and found > 500  # both outcomes were exercised often


@pytest.mark.timeout(300)
def test_the_look_back_finds_what_the_exhaustive_search_finds_on_hand_made_patterns() -> None:
    lines = [("fwd", 130, 0), ("arc", 20, 180), ("fwd", 130, 0), ("arc", 10, 180)]
    flown = [
        patterns.fly(patterns.racetrack(90, 22, 2.5), gs_kt=250, jitter_km=0.3, gaps=[(25, 31)]),
        patterns.fly(patterns.racetrack(100, 30, 2), heading=135, gs_kt=300),
        patterns.fly([("fwd", 60, 0), *patterns.circle(46, 1.2)], gs_kt=140),
        patterns.fly(lines * 2, gs_kt=200),  # survey lines
    ]
    found = set()
    for points in flown:
        track = Track(10_000)
        for k, p in enumerate(points):
            track.append(p)
            if k % 30:
                continue  # every 5 minutes
            for rule in [*RULES, LoiterRule(id="racetracks", min_reversals=2)]:
                expected = exhaustive(rule, track)
                assert searched(rule, track) == expected, (rule.id, k)
                found.add(expected[2] if expected else None)
    assert found >= {None, "orbit", "racetrack"}


def replay(rule: LoiterRule, identity: Identity, points: list[TrackPoint]) -> list[Any]:
    track = Track(10_000)
    state = None
    events: list[Event] = []
    for p in points:
        track.append(p)
        state, found = loiter.evaluate(rule, identity, track, state, p.time)
        events.extend(found)
    return [(e.kind, e.episode_start, e.at, e.note) for e in events]


@pytest.mark.timeout(300)
def test_skipping_checks_no_stretch_could_pass_changes_no_episode(
    track_recordings: Path, troy701_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recordings = [*(track_recordings / name for name in ORBITING), troy701_path]
    aircraft = [
        (Identity(hex=hex_, category="government", state="US", reasons=[]), points)
        for path in recordings
        for hex_, points in recorded_tracks(path).items()
    ]
    rule = LoiterRule(id="loiter")
    skipping = [replay(rule, identity, points) for identity, points in aircraft]
    search = loiter._find_loiter
    # Every minute, and the patterns at each of their checks whatever the aircraft turned.
    monkeypatch.setattr(loiter, "_turned_enough", lambda *_: True)
    monkeypatch.setattr(loiter, "_find_loiter", lambda r, t, p: (search(r, t, p)[0], None))
    every_minute = [replay(rule, identity, points) for identity, points in aircraft]
    assert skipping == every_minute
    assert sum(kind == "opened" for events in skipping for kind, *_ in events) > 20


@pytest.fixture
def looked_back(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The time of the latest point at each look-back the loiter rule runs."""
    times: list[float] = []
    search = loiter._find_loiter

    def counting(
        rule: LoiterRule, track: Track, patterns: bool = True
    ) -> tuple[loiter.Episode | None, float | None]:
        assert track.last is not None
        times.append(track.last.time)
        return search(rule, track, patterns)

    monkeypatch.setattr(loiter, "_find_loiter", counting)
    return times


def test_a_fleet_that_appears_at_once_is_checked_spread_over_the_minute(
    looked_back: list[float],
) -> None:
    checked = looked_back
    rule = LoiterRule(id="loiter")
    fleet = 600
    for n in range(fleet):
        identity = Identity(hex=f"ae{n:04x}", category="military", state="US", reasons=[])
        replay(rule, identity, straight(T0, 60))  # one point every 10 s, all at once
    # Each aircraft's first point is checked at once (a look-back over one point); the
    # checks that read a track fall into six polls a minute, a sixth of the fleet each.
    per_poll = np.bincount([int((t - T0) // 10) for t in checked if t > T0])
    assert per_poll.sum() >= fleet
    assert per_poll.max() < fleet / 6 * 1.5
    # Aircraft in transit are looked at again only once a stretch could have lasted
    # min_duration_s since the earliest start the bounding box allows.
    assert len(checked) / fleet < 60 / 10


def test_a_hold_is_still_found_after_a_transit_deferred_the_checks() -> None:
    rule = LoiterRule(id="loiter")
    hold = [
        point(T0 + 3600 + i * 10, 19.19 + 0.05 * math.cos(i / 12),
              -100.13 + 0.05 * math.sin(i / 12), "MX", 900.0)
        for i in range(40 * 6)
    ]  # fmt: skip
    events = replay(rule, Identity(hex="ae2fd0", category="military", state="US", reasons=[]),
                    straight(T0, 60) + hold)  # fmt: skip
    assert [kind for kind, *_ in events] == ["opened"]
    _, start, at, _ = events[0]
    assert start <= T0 + 3600 + 120 and at - start <= rule.min_duration_s + 2 * 60


def test_no_look_back_where_a_loiter_found_would_be_dropped(looked_back: list[float]) -> None:
    calls = looked_back
    us_military = Identity(hex="ae2fd0", category="military", state="US", reasons=[])
    at_home = orbit(T0, 90, country="US")
    assert replay(LoiterRule(id="loiter", abroad_only=True), us_military, at_home) == []
    assert calls == []  # an orbit at home under abroad_only is never searched for
    outside = replay(LoiterRule(id="loiter", areas=["gulf"]), us_military, orbit(T0, 90))
    assert outside == [] and calls == []  # nor one outside the named areas
    abroad = replay(LoiterRule(id="loiter", abroad_only=True), us_military, orbit(T0, 90))
    assert [kind for kind, *_ in abroad][:1] == ["opened"] and calls


def test_wide_orbits_and_racetracks_are_looked_for_once_per_pattern_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patterns_at: list[float] = []

    def nothing_found(
        rule: LoiterRule, track: Track, patterns: bool = True
    ) -> tuple[loiter.Episode | None, float | None]:
        assert track.last is not None
        if patterns:
            patterns_at.append(track.last.time)
        return None, None  # keep looking: no bound, no episode

    monkeypatch.setattr(loiter, "_find_loiter", nothing_found)
    # A patrol to and fro along 130 km legs for four hours: it turns all the time.
    to_and_fro = patterns.fly([("fwd", 130, 0), ("arc", 2, 180)] * 8, gs_kt=250)
    identity = Identity(hex="ae2fd0", category="military", state="US", reasons=[])
    replay(LoiterRule(id="loiter"), identity, to_and_fro)
    # From its first turn on, once in every pattern slot (at the slot's first check).
    gaps = np.diff(patterns_at)
    assert len(gaps) > 20
    assert gaps.min() >= loiter.PATTERN_CHECK_EVERY_S - loiter.CHECK_EVERY_S
    assert gaps.max() <= loiter.PATTERN_CHECK_EVERY_S + loiter.CHECK_EVERY_S
