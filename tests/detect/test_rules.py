"""Rules as pure functions, on synthetic tracks with known answers."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeVar

import msgspec

from service.detect import foreign_airspace, loiter, signal_lost
from service.detect.events import AirspaceFacts, Event, LoiterFacts
from service.detect.rules import run_rules
from service.models import Identity
from service.settings import ForeignAirspaceRule, LoiterRule, Rule, SignalLostRule
from service.track import Track, TrackPoint

US_GOV = Identity(hex="ae2fd0", category="government", state="US", reasons=[])
T0 = 1_755_072_000.0


def point(
    t: float,
    lat: float,
    lon: float,
    country: str | None,
    depth: float | None = None,
    *,
    gs: float = 80.0,
    alt: int | None = 22000,
    ground: bool = False,
) -> TrackPoint:
    return TrackPoint(t, lat, lon, alt, gs, None, ground, country, depth)


RuleT = TypeVar("RuleT")
StateT = TypeVar("StateT")
Evaluate = Callable[[RuleT, Identity, Track, StateT | None, float], tuple[StateT, list[Event]]]


def feed(
    evaluate: Evaluate[RuleT, StateT],
    rule: RuleT,
    points: Sequence[TrackPoint],
    *,
    tail_s: float = 0.0,
) -> list[Event]:
    """Feed points one at a time like the engine does; then let `tail_s` pass silently."""
    track = Track(10_000)
    state: StateT | None = None
    events: list[Event] = []
    for p in points:
        track.append(p)
        state, found = evaluate(rule, US_GOV, track, state, p.time)
        events.extend(found)
    if tail_s and points:
        for t in range(10, int(tail_s) + 1, 10):
            state, found = evaluate(rule, US_GOV, track, state, points[-1].time + t)
            events.extend(found)
    return events


# --- foreign_airspace -------------------------------------------------------------


def crossing(depths: Sequence[float], step_s: float = 10.0) -> list[TrackPoint]:
    """Positive depth: inside MX; negative: that far inside the US."""
    return [
        point(T0 + i * step_s, 29.3 - d / 111, -100.9, "MX" if d > 0 else "US", abs(d))
        for i, d in enumerate(depths)
    ]


def test_entry_confirmed_after_time_and_depth() -> None:
    rule = ForeignAirspaceRule(id="fa")
    depths = [-20, -10, -1, 1, 2, 4, 6, 8, 10, 12, 14, 16]
    events = feed(foreign_airspace.evaluate, rule, crossing(depths))
    assert [e.kind for e in events] == ["opened"]
    opened = events[0]
    assert isinstance(opened.facts, AirspaceFacts)
    assert opened.facts.country == "MX"
    assert opened.episode_start == T0 + 30  # the first point inside
    assert opened.at - opened.episode_start >= rule.enter_confirm_s
    assert not opened.facts.first_seen_inside


def test_weaving_along_the_border_never_opens() -> None:
    rule = ForeignAirspaceRule(id="fa")
    depths = [1.5 * math.sin(i / 3) for i in range(400)]  # within 2 km of the line
    assert feed(foreign_airspace.evaluate, rule, crossing(depths)) == []


def test_short_excursion_out_does_not_close_the_episode() -> None:
    rule = ForeignAirspaceRule(id="fa")
    depths = [10.0] * 10 + [-1.0] * 5 + [10.0] * 10  # 50 s outside < exit_confirm_s
    events = feed(foreign_airspace.evaluate, rule, crossing(depths))
    assert [e.kind for e in events] == ["opened"]


def test_exit_confirmed_resolves_with_max_depth() -> None:
    rule = ForeignAirspaceRule(id="fa")
    depths = [10.0] * 10 + [60.0] * 3 + [-5.0] * 20
    events = feed(foreign_airspace.evaluate, rule, crossing(depths))
    assert [e.kind for e in events] == ["opened", "update", "resolved"]
    assert events[1].note == "depth passed 50 km"
    resolved = events[2]
    assert isinstance(resolved.facts, AirspaceFacts)
    assert resolved.facts.max_depth_km == 60.0
    assert resolved.ended_at == T0 + 130  # the first point outside


def test_first_seen_inside_counts_as_entry() -> None:
    rule = ForeignAirspaceRule(id="fa")
    events = feed(foreign_airspace.evaluate, rule, crossing([300.0] * 10))
    assert [e.kind for e in events] == ["opened"]
    facts = events[0].facts
    assert isinstance(facts, AirspaceFacts) and facts.first_seen_inside


def test_allow_list_and_country_selection() -> None:
    points = crossing([50.0] * 10)
    assert (
        feed(foreign_airspace.evaluate, ForeignAirspaceRule(id="fa", allow=["US>MX"]), points) == []
    )
    assert (
        feed(foreign_airspace.evaluate, ForeignAirspaceRule(id="fa", countries=["CA"]), points)
        == []
    )
    assert feed(foreign_airspace.evaluate, ForeignAirspaceRule(id="fa", countries=["MX"]), points)


def test_silence_resolves_after_the_configured_time() -> None:
    rule = ForeignAirspaceRule(id="fa", resolve_after_silent_s=600)
    events = feed(foreign_airspace.evaluate, rule, crossing([20.0] * 10), tail_s=700)
    assert [e.kind for e in events] == ["opened", "resolved"]
    assert events[1].note == "signal lost"
    assert events[1].ended_at == T0 + 90


# --- loiter ---------------------------------------------------------------------


def orbit(
    start: float,
    minutes: float,
    *,
    radius_km: float = 8.0,
    period_min: float = 20.0,
    gaps: Sequence[tuple[float, float]] | None = None,
    step_s: float = 10.0,
    country: str = "MX",
) -> list[TrackPoint]:
    """A circle near Valle de Bravo; `gaps` are (start_min, end_min) with no reports."""
    points = []
    for i in range(int(minutes * 60 / step_s)):
        m = i * step_s / 60
        if gaps and any(a <= m < b for a, b in gaps):
            continue
        angle = 2 * math.pi * m / period_min
        lat = 19.19 + radius_km / 111 * math.cos(angle)
        lon = -100.13 + radius_km / (111 * math.cos(math.radians(19.19))) * math.sin(angle)
        points.append(point(start + i * step_s, lat, lon, country, 900.0))
    return points


def straight(start: float, minutes: float, *, gs_kt: float = 200.0) -> list[TrackPoint]:
    km_per_step = gs_kt * 1.852 * 10 / 3600
    return [
        point(start + i * 10, 25.0 - i * km_per_step / 111, -100.5, "MX", 500.0, gs=gs_kt)
        for i in range(int(minutes * 6))
    ]


def test_orbit_with_gaps_is_one_episode_with_hourly_updates() -> None:
    rule = LoiterRule(id="loiter")
    gaps = [(30, 36), (70, 79), (100, 104), (150, 158), (190, 195)]
    points = straight(T0 - 3600, 60) + orbit(T0, 210, gaps=gaps)
    events = feed(loiter.evaluate, rule, points, tail_s=2000)
    assert [e.kind for e in events] == ["opened", "update", "update", "update", "resolved"]
    opened = events[0]
    assert opened.at - T0 <= 30 * 60  # alerts within 30 minutes of the orbit's start
    assert abs(opened.episode_start - T0) <= 120
    assert {e.episode_start for e in events} == {opened.episode_start}
    facts = events[-1].facts
    assert isinstance(facts, LoiterFacts)
    assert abs(facts.center_lat - 19.19) < 0.05 and abs(facts.center_lon + 100.13) < 0.05
    assert 6 < facts.radius_km < 10
    assert facts.turns > 9  # 210 min at a 20 min period
    assert events[-1].note == "signal lost"


def test_racetrack_counts_as_loiter() -> None:
    rule = LoiterRule(id="loiter")
    points = []
    t = T0
    for _lap in range(4):
        for leg in range(2):  # two 15 km legs joined by 5 km-radius turns
            sign = 1 if leg == 0 else -1
            for i in range(40):
                points.append(
                    point(t, 19.19 + sign * (-0.07 + i * 0.0035), -100.13 + sign * 0.045, "MX", 900)
                )
                t += 10
            for i in range(20):
                a = math.pi * i / 20
                lat = 19.19 + sign * (0.07 + 0.045 * math.sin(a))
                points.append(point(t, lat, -100.13 + sign * 0.045 * math.cos(a), "MX", 900))
                t += 10
    events = feed(loiter.evaluate, rule, points)
    assert [e.kind for e in events][:1] == ["opened"]


def test_straight_flight_and_short_hold_do_not_loiter() -> None:
    rule = LoiterRule(id="loiter")
    assert feed(loiter.evaluate, rule, straight(T0, 180)) == []
    hold = orbit(T0, 14, radius_km=4, period_min=4)  # a 14-minute hold before landing
    assert feed(loiter.evaluate, rule, straight(T0 - 1800, 30) + hold) == []


def test_loiter_ends_when_the_aircraft_leaves() -> None:
    rule = LoiterRule(id="loiter")
    events = feed(loiter.evaluate, rule, orbit(T0, 60) + straight(T0 + 3600, 30))
    assert [e.kind for e in events] == ["opened", "resolved"]
    assert events[1].note == "left the area"


def test_abroad_only_ignores_home_loiters() -> None:
    rule = LoiterRule(id="loiter", abroad_only=True)
    assert feed(loiter.evaluate, rule, orbit(T0, 90, country="US")) == []
    assert feed(loiter.evaluate, rule, orbit(T0, 90, country="MX"))


# --- signal_lost ------------------------------------------------------------------


def test_silent_abroad_fires_then_resolves_when_heard_again() -> None:
    rule = SignalLostRule(id="lost", silent_s=600)
    track = Track(100)
    track.append(point(T0, 19.2, -100.1, "MX", 900))
    state, events = signal_lost.evaluate(rule, US_GOV, track, None, T0 + 599)
    assert events == []
    state, events = signal_lost.evaluate(rule, US_GOV, track, state, T0 + 600)
    assert [e.kind for e in events] == ["opened"] and events[0].episode_start == T0
    state, events = signal_lost.evaluate(rule, US_GOV, track, state, T0 + 900)
    assert events == []
    track.append(point(T0 + 1000, 19.2, -100.1, "MX", 900))
    state, events = signal_lost.evaluate(rule, US_GOV, track, state, T0 + 1000)
    assert [(e.kind, e.note) for e in events] == [("resolved", "heard again")]


def test_silence_at_home_or_after_landing_is_not_a_loss() -> None:
    rule = SignalLostRule(id="lost", silent_s=600)
    for last in (point(T0, 31.0, -100.5, "US"), point(T0, 19.3, -99.6, "MX", 900, ground=True)):
        track = Track(10)
        track.append(last)
        assert signal_lost.evaluate(rule, US_GOV, track, None, T0 + 3600)[1] == []


def test_signal_lost_expires() -> None:
    rule = SignalLostRule(id="lost", silent_s=600, expire_after_s=7200)
    track = Track(10)
    track.append(point(T0, 19.2, -100.1, "MX", 900))
    state, _ = signal_lost.evaluate(rule, US_GOV, track, None, T0 + 600)
    state, events = signal_lost.evaluate(rule, US_GOV, track, state, T0 + 7200)
    assert [(e.kind, e.note) for e in events] == [("resolved", "expired")]


def test_rules_only_run_for_selected_aircraft() -> None:
    civil = Identity(hex="a1b2c3", category="civil", state="US", reasons=[])
    track = Track(100)
    for p in crossing([50.0] * 10):
        track.append(p)
    states: dict[str, msgspec.Struct] = {}
    rules: list[Rule] = [ForeignAirspaceRule(id="fa")]
    assert run_rules(rules, civil, track, states, T0 + 100) == []
    assert states == {}
    assert [e.kind for e in run_rules(rules, US_GOV, track, states, T0 + 100)] == ["opened"]
