"""Crossings whatever the aircraft does, one episode per country entry (issue 15).

The rule on its own (points with their country and depth given): every entry of a
long multi-country trip opens its own episode, timed from the border; a quick
leave-and-re-enter stays one episode, a longer absence does not (`exit_confirm_s`
decides). Then through the whole pipeline and the real US-MX border at 31.33 N: a
tanker and its receiver in formation, an aircraft climbing out and one turning in a
holding pattern each open their entry within two polls of the border.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from service.cli.replay import replay
from service.detect import foreign_airspace
from service.detect.events import AirspaceFacts, Event
from service.models import Identity
from service.settings import DEFAULT_CONFIG, ForeignAirspaceRule, Settings, load_settings
from service.track import Track, TrackPoint

US_MIL = Identity(hex="ae01c5", category="military", state="US", reasons=[])
T0 = 1_760_000_000.0
POLL_S = 10.0
BORDER_LAT = 31.3335  # the straight US-MX border from 111.07 W to 108.21 W
KM_PER_DEG = 111.2


def point(t: float, country: str | None, depth: float = 10.0) -> TrackPoint:
    return TrackPoint(t, 50.0, 10.0, 28000, 420.0, 90.0, False, country, depth)


def feed(rule: ForeignAirspaceRule, points: list[TrackPoint]) -> list[Event]:
    track = Track(100_000)
    state = None
    events: list[Event] = []
    for p in points:
        track.append(p)
        state, found = foreign_airspace.evaluate(rule, US_MIL, track, state, p.time)
        events.extend(found)
    return events


def trip(legs: Sequence[tuple[str | None, float]]) -> list[TrackPoint]:
    """Points every poll through (country, seconds spent there) in turn."""
    points, t = [], T0
    for country, seconds in legs:
        for _ in range(int(seconds // POLL_S)):
            points.append(point(t, country))
            t += POLL_S
    return points


def opened(events: list[Event]) -> list[tuple[str, float]]:
    out = []
    for e in events:
        if e.kind == "opened":
            assert isinstance(e.facts, AirspaceFacts)
            out.append((e.facts.country, e.episode_start))
    return out


# --- the rule: one episode per entry ----------------------------------------------------


def test_each_country_of_a_long_trip_opens_its_own_episode_timed_from_its_border() -> None:
    countries = ["DE", "LU", "BE", "NL", "DE", "PL", "CZ", "AT", "SI", "HR", "HU", "SK"]
    legs: list[tuple[str | None, float]] = [("US", 600)]
    legs += [(c, 600) for c in countries]
    events = feed(ForeignAirspaceRule(id="fa"), trip(legs))
    found = opened(events)
    assert [c for c, _ in found] == countries
    for i, (_, start) in enumerate(found):
        entry = T0 + 600 * (i + 1)
        assert abs(start - entry) <= 2 * POLL_S
    opened_at = [e.at for e in events if e.kind == "opened"]
    assert all(
        at - start <= 45 + 2 * POLL_S for at, (_, start) in zip(opened_at, found, strict=True)
    )
    # Going straight into the next country closes the last one on the same position.
    assert sum(1 for e in events if e.kind == "resolved") == len(countries) - 1


@pytest.mark.parametrize(("where", "seconds"), [("US", 60), (None, 110), ("DE", 40)])
def test_a_quick_leave_and_re_enter_stays_one_episode(where: str | None, seconds: float) -> None:
    # Out briefly: home, the high seas, or a third country too briefly to count there
    # (under enter_confirm_s); every exit shorter than exit_confirm_s is no exit.
    legs = [("US", 300), ("PL", 900), (where, seconds), ("PL", 900)]
    events = feed(ForeignAirspaceRule(id="fa"), trip(legs))
    assert opened(events) == [("PL", T0 + 300)]
    assert not [e for e in events if e.kind == "resolved"]


def test_out_longer_than_exit_confirm_is_a_new_entry() -> None:
    rule = ForeignAirspaceRule(id="fa", exit_confirm_s=120)
    legs = [("US", 300), ("PL", 900), (None, 180), ("PL", 900)]
    events = feed(rule, trip(legs))
    assert opened(events) == [("PL", T0 + 300), ("PL", T0 + 300 + 900 + 180)]
    # The rule that decides is exit_confirm_s: a longer one keeps the episode.
    assert len(opened(feed(ForeignAirspaceRule(id="fa", exit_confirm_s=300), trip(legs)))) == 1


# --- through the pipeline and the real border: whatever the aircraft is doing ------------


@pytest.fixture(scope="module")
def settings(boundaries_path: Path) -> Settings:
    base = load_settings(DEFAULT_CONFIG, environ={})
    boundaries = base.boundaries.model_copy(update={"path": boundaries_path})
    return base.model_copy(update={"boundaries": boundaries, "feeds": []})


def at(lat: float, lon: float, north_km: float, east_km: float) -> tuple[float, float]:
    return (
        lat + north_km / KM_PER_DEG,
        lon + east_km / (KM_PER_DEG * math.cos(math.radians(lat))),
    )


def entry(hex_: str, lat: float, lon: float, **fields: Any) -> dict[str, Any]:
    return {"hex": hex_, "dbFlags": 1, "lat": round(lat, 5), "lon": round(lon, 5), **fields}


async def episodes(
    settings: Settings, snapshots: list[dict[str, Any]], tmp_path: Path
) -> list[dict[str, Any]]:
    path = tmp_path / "recording.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in snapshots))
    out = io.StringIO()
    await replay(settings, str(path), deliver=False, out=out)
    notes = [json.loads(line) for line in out.getvalue().splitlines()]
    return [n for n in notes if n["rule"]["id"] == "foreign-airspace" and n["kind"] == "opened"]


def crossed_at(start_lat: float, v_north_kmh: float) -> float:
    """When a track going south at v_north_kmh from start_lat reaches the border."""
    return T0 + (start_lat - BORDER_LAT) * KM_PER_DEG / v_north_kmh * 3600


async def test_tanker_and_receiver_in_formation_both_enter(
    settings: Settings, tmp_path: Path
) -> None:
    # A KC-135 and the receiver 60 m behind and 25 m to the right, both steady at
    # 26,000 ft and 300 kt heading south across the border: nothing hides the entry.
    speed = 300 * 1.852
    start = at(BORDER_LAT, -109.5, 40.0, 0.0)
    snapshots = []
    for i in range(90):
        t = T0 + i * POLL_S
        lat = start[0] - speed * (t - T0) / 3600 / KM_PER_DEG
        receiver = at(lat, start[1], 0.06, 0.025)
        fields = {"alt_baro": 26000, "gs": 300.0, "track": 180.0}
        snapshots.append(
            {
                "now": t,
                "aircraft": [
                    entry("ae04f8", lat, start[1], flight="QID61   ", **fields),
                    entry("ae07e9", *receiver, flight="RCH427  ", **fields),
                ],
            }
        )
    found = await episodes(settings, snapshots, tmp_path)
    assert sorted(n["aircraft"]["hex"] for n in found) == ["ae04f8", "ae07e9"]
    border = crossed_at(start[0], speed)
    for note in found:
        assert note["area"]["country"] == "MX"
        entered = note["area"]["entered_at"]
        assert abs(_unix(entered) - border) <= 2 * POLL_S


async def test_entry_while_climbing_out(settings: Settings, tmp_path: Path) -> None:
    # Climbing at 3,000 ft/min and accelerating from 160 kt across the border.
    start = at(BORDER_LAT, -110.0, 12.0, 0.0)
    snapshots: list[dict[str, Any]] = []
    lat, t = start[0], T0
    for i in range(60):
        gs = min(160 + 4 * i, 330)
        snapshots.append(
            {
                "now": t,
                "aircraft": [
                    entry("ae5c12", lat, start[1], alt_baro=3000 + 500 * i, gs=gs, track=180.0)
                ],
            }
        )
        lat -= gs * 1.852 * POLL_S / 3600 / KM_PER_DEG
        t += POLL_S
    (note,) = await episodes(settings, snapshots, tmp_path)
    first_inside = _first_inside(snapshots)
    assert abs(_unix(note["area"]["entered_at"]) - first_inside) <= 2 * POLL_S


async def test_entry_while_turning_in_a_hold(settings: Settings, tmp_path: Path) -> None:
    # A holding pattern whose fix lies 6 km inside Mexico: the aircraft enters while in
    # the turns and straight legs of the hold, at 180 kt and a steady 9,000 ft.
    fix = at(BORDER_LAT, -109.0, -6.0, 0.0)
    radius, leg, speed = 3.0, 9.0, 180 * 1.852 / 3600  # km, km, km/s
    lap = 2 * leg + 2 * math.pi * radius
    snapshots = []
    for i in range(int(3 * lap / speed / POLL_S)):
        s = (i * POLL_S * speed) % lap
        north, east = _hold(s, leg, radius)
        lat, lon = at(fix[0], fix[1], north, east)
        snapshots.append(
            {
                "now": T0 + i * POLL_S,
                "aircraft": [entry("ae0a71", lat, lon, alt_baro=9000, gs=180.0)],
            }
        )
    found = await episodes(settings, snapshots, tmp_path)
    assert found, "no entry while holding"
    first_inside = _first_inside(snapshots)
    assert abs(_unix(found[0]["area"]["entered_at"]) - first_inside) <= 2 * POLL_S


def _hold(s: float, leg: float, radius: float) -> tuple[float, float]:
    """(north, east) km of a racetrack with north-south legs, the inbound leg ending
    at the fix going south, the outbound leg 2 * radius to the east, 10 km north."""
    if s < leg:  # inbound, southbound, ending at the fix
        return (leg - s, 0.0)
    s -= leg
    half = math.pi * radius
    if s < half:  # turn at the fix, to the east
        a = s / radius
        return (-radius * math.sin(a), radius - radius * math.cos(a))
    s -= half
    if s < leg:  # outbound, northbound
        return (s, 2 * radius)
    s -= leg
    a = s / radius
    return (leg + radius * math.sin(a), radius + radius * math.cos(a))


def _first_inside(snapshots: list[dict[str, Any]]) -> float:
    """When the first position south of the border was reported."""
    return float(next(s["now"] for s in snapshots if s["aircraft"][0]["lat"] < BORDER_LAT))


def _unix(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
