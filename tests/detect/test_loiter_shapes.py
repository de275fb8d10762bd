"""Each loiter pattern on hand-made tracks (tests/detect/patterns.py): what opens, as
which shape and size, and what must not (routes, zig-zags, out-and-backs, survey-like
reversals, racetracks too long, turns just under the threshold)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.detect import loiter, shapes
from service.detect.events import Event, LoiterFacts
from service.settings import LoiterRule
from tests.detect.patterns import T0, circle, duration_min, fly, racetrack
from tests.detect.test_rules import feed

RULE = LoiterRule(id="loiter")


def opened(events: list[Event]) -> LoiterFacts:
    assert [e.kind for e in events][:1] == ["opened"], [e.kind for e in events]
    facts = events[0].facts
    assert isinstance(facts, LoiterFacts)
    return facts


def test_a_small_orbit_is_an_orbit_with_its_radius() -> None:
    facts = opened(feed(loiter.evaluate, RULE, fly(circle(8, 6), gs_kt=150)))
    assert facts.shape == "orbit" and 7 < facts.radius_km < 9
    assert facts.leg_km is None and facts.axis_deg is None


def test_a_90_by_22_km_racetrack_flown_for_four_hours_is_one_racetrack_episode() -> None:
    points = fly(racetrack(90, 22, 9), heading=60, gs_kt=250)
    assert duration_min(points) > 240
    events = feed(loiter.evaluate, RULE, points, tail_s=2400)
    facts = opened(events)
    assert facts.shape == "racetrack"
    assert 80 < (facts.leg_km or 0) < 100 and 18 < (facts.width_km or 0) < 26
    assert abs((facts.axis_deg or 0) - 60) < 5
    assert events[0].at - T0 < 80 * 60  # three reversals: a lap and a half
    assert [e.kind for e in events[1:]] == ["update"] * 4 + ["resolved"]
    assert {e.episode_start for e in events} == {events[0].episode_start}


def test_a_slow_racetrack_and_one_with_150_km_legs_are_racetracks() -> None:
    # Three reversals take 100 minutes at 120 kt on the 90 x 22 km racetrack, and 65
    # minutes at 250 kt on 150 km legs: both within pattern_window_s.
    slow = fly(racetrack(90, 22, 3), gs_kt=120)
    assert opened(feed(loiter.evaluate, RULE, slow)).shape == "racetrack"
    long_legs = fly(racetrack(150, 25, 3), heading=0, gs_kt=250)
    facts = opened(feed(loiter.evaluate, RULE, long_legs))
    assert facts.shape == "racetrack" and 140 < (facts.leg_km or 0) <= 150


def test_an_air_to_air_refuelling_oval_is_a_racetrack() -> None:
    points = fly(racetrack(100, 30, 4), heading=135, gs_kt=300)
    facts = opened(feed(loiter.evaluate, RULE, points))
    assert facts.shape == "racetrack" and 90 < (facts.leg_km or 0) < 110
    assert abs((facts.axis_deg or 0) - 135) < 5


def test_a_wide_slow_orbit_over_a_navaid_is_an_orbit() -> None:
    # Perth's flight check: a 46 km (25 NM) orbit at a slow 140 kt, about 70 min a turn.
    points = fly([("fwd", 60, 0), *circle(46, 1.3)], gs_kt=140)
    facts = opened(feed(loiter.evaluate, RULE, points))
    assert facts.shape == "orbit" and 40 < facts.radius_km < 50
    assert RULE.max_orbit_radius_km < 46 or facts.turns >= 1


def test_staying_in_one_area_without_turning_round_is_a_dwell() -> None:
    # Figures of eight: turns left and right cancel, the aircraft stays within 10 km.
    eight = [*circle(4, 1), *circle(4, 1, left=False)]
    facts = opened(feed(loiter.evaluate, RULE, fly(eight * 6, gs_kt=100)))
    assert facts.shape == "dwell" and facts.turns < 1


def test_a_racetrack_with_coverage_gaps_and_position_noise_is_still_found() -> None:
    points = fly(racetrack(90, 22, 6), gs_kt=250, jitter_km=0.3, gaps=[(25, 31), (70, 78)])
    events = feed(loiter.evaluate, RULE, points)
    facts = opened(events)
    assert facts.shape == "racetrack"
    assert [e.kind for e in events].count("opened") == 1


def test_an_orbit_with_position_noise_is_still_an_orbit() -> None:
    facts = opened(feed(loiter.evaluate, RULE, fly(circle(10, 4), gs_kt=160, jitter_km=0.4)))
    assert facts.shape == "orbit"


def test_turns_just_under_the_threshold_do_not_open() -> None:
    # 0.9 of a wide orbit, then away; and 2 reversals where 3 are needed.
    points = fly([*circle(40, 0.9), ("fwd", 300, 0)], gs_kt=200)
    assert feed(loiter.evaluate, RULE, points) == []
    points = fly([*racetrack(90, 22, 1.25), ("fwd", 300, 0)], gs_kt=250)
    assert feed(loiter.evaluate, RULE, points) == []
    assert feed(loiter.evaluate, RULE.model_copy(update={"min_reversals": 2}), points)


def test_a_racetrack_with_legs_just_over_max_leg_km_is_not_one() -> None:
    long_legs = fly(racetrack(160, 22, 3), gs_kt=300)
    assert feed(loiter.evaluate, RULE, long_legs) == []
    longer = RULE.model_copy(update={"max_leg_km": 170})
    assert opened(feed(loiter.evaluate, longer, long_legs)).shape == "racetrack"


def test_a_straight_out_and_back_is_not_a_racetrack() -> None:
    points = fly([("fwd", 120, 0), ("arc", 8, 180), ("fwd", 200, 0)], gs_kt=250)
    assert feed(loiter.evaluate, RULE, points) == []


def test_a_route_with_a_zig_zag_is_not_a_loiter() -> None:
    zig = [("fwd", 15, 0), ("arc", 10, 60), ("fwd", 15, 0), ("arc", 10, -60)]
    points = fly([("arc", 10, 30), *zig * 14], gs_kt=250)
    assert duration_min(points) > 90
    assert feed(loiter.evaluate, RULE, points) == []


def test_survey_lines_turning_alternately_are_not_a_racetrack() -> None:
    # Mowing the lawn: 80 km lines 2 km apart, turning left then right; and skipping
    # 130 km lines (longer than any orbit), always turning left: 40 km across, then 20
    # back, then 40 across...
    lines = [("fwd", 80, 0), ("arc", 1, 180), ("fwd", 80, 0), ("arc", 1, -180)]
    points = fly(lines * 8, gs_kt=160)
    assert feed(loiter.evaluate, RULE, points) == []
    across = [("fwd", 130, 0), ("arc", 20, 180), ("fwd", 130, 0), ("arc", 10, 180)]
    points = fly(across * 5, gs_kt=160)
    assert feed(loiter.evaluate, RULE, points) == []


def test_shapes_limits_the_patterns_looked_for() -> None:
    points = fly(racetrack(130, 22, 4), gs_kt=250)  # too long for an orbit
    assert feed(loiter.evaluate, RULE.model_copy(update={"shapes": ["orbit", "dwell"]}),
                points) == []  # fmt: skip
    only = RULE.model_copy(update={"shapes": ["racetrack"]})
    assert opened(feed(loiter.evaluate, only, points)).shape == "racetrack"
    small = fly(circle(8, 3), gs_kt=150)
    assert feed(loiter.evaluate, only, small) == []  # a circle is not a racetrack


def test_an_aircraft_in_transit_is_not_looked_at_for_patterns() -> None:
    state = loiter.LoiterState()
    for p in fly([("fwd", 600, 0)], gs_kt=250):
        loiter._count_turning(RULE, state, p)
    assert state.turn_marks == [] and not loiter._turned_enough(RULE, state, T0 + 7200)
    orbiting = loiter.LoiterState()
    for p in fly(circle(30, 1), gs_kt=250):
        loiter._count_turning(RULE, orbiting, p)
    assert loiter._turned_enough(RULE, orbiting, T0 + 3000)


@pytest.mark.parametrize("axis", [0.0, 30.0, 90.0, 150.0])
def test_the_outline_finds_the_axis_length_and_width(axis: float) -> None:
    import numpy as np

    angle = math.radians(90 - axis)
    u = np.linspace(-50, 50, 101)
    v = np.tile([-10.0, 10.0], 51)[:101]
    x = u * math.cos(angle) - v * math.sin(angle)
    y = u * math.sin(angle) + v * math.cos(angle)
    outline = shapes.outline(x, y)
    assert abs((outline.axis_deg - axis + 90) % 180 - 90) < 0.5
    assert abs(outline.length_km - 100) < 0.5 and abs(outline.width_km - 20) < 0.5
    assert abs(outline.leg_km - 80) < 1


def test_reversals_are_counted_past_the_hysteresis_only() -> None:
    import numpy as np

    there_and_back = np.array([0, 10, 20, 30, 20, 10, 0, 10, 20, 30, 29, 31, 30.0])
    assert shapes.reversals(there_and_back, 15) == 2
    assert shapes.reversals(np.array([0, 1, 0.5, 2, 1.5, 3, 2.5, 4.0]), 15) == 0


coordinates = st.lists(
    st.tuples(st.floats(-300, 300), st.floats(-300, 300)), min_size=3, max_size=60
)


@given(coordinates)
def test_the_all_starts_at_once_spreads_and_turns_are_each_starts_own(
    points: list[tuple[float, float]],
) -> None:
    import numpy as np

    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    along, across = shapes.suffix_spread(x, y)
    turns = shapes.turning(x, y)
    turned = shapes.suffix_turns(turns)
    for i in range(len(x)):
        one_along, one_across = shapes.spread(x[i:], y[i:])
        assert along[i] == pytest.approx(one_along, rel=1e-6, abs=1e-6)
        assert across[i] == pytest.approx(one_across, rel=1e-6, abs=1e-6)
        assert turned[i] == pytest.approx(float(turns[i:].sum()), abs=1e-6)
    assert across.min() >= 0 and np.all(along >= across)
    assert np.all(np.abs(turns) <= 180)


@given(coordinates, st.floats(0, 360))
def test_the_outline_turns_with_the_points(points: list[tuple[float, float]], angle: float) -> None:
    import numpy as np

    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    a = math.radians(angle)
    turned = shapes.outline(x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a))
    outline = shapes.outline(x, y)
    # Length and width do not depend on the direction the points lie in (unless the
    # spread is the same both ways, when the axis is any).
    along, across = shapes.spread(x, y)
    if along - across > 1e-3 * max(along, 1.0):
        assert turned.length_km == pytest.approx(outline.length_km, rel=1e-6, abs=1e-6)
        assert turned.width_km == pytest.approx(outline.width_km, rel=1e-6, abs=1e-6)
    assert 0 <= outline.axis_deg < 180 and outline.width_km >= 0
