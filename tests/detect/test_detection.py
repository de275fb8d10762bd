"""Detection edge cases analysts must be able to trust, through real boundaries.

Synthetic recordings run through the whole pipeline (in memory): weaving along the
straight US-MX border segment at 31.33 N, a teleporting (spoofed) position stream, an
aircraft first seen inside, squawk 7700 held versus a blip, holds before landing. The
signal_lost landing test and the loiter place name use the rules directly.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from service.alerts.payload import decode, iso
from service.cli.replay import replay
from service.detect import foreign_airspace, loiter, signal_lost
from service.detect.events import AirspaceFacts, LoiterFacts
from service.locate.places import nearest_airport, nearest_place
from service.models import Category, Identity
from service.settings import (
    DEFAULT_CONFIG,
    ConfigError,
    ForeignAirspaceRule,
    LoiterRule,
    Settings,
    SignalLostRule,
    load_settings,
)
from service.track import Track, TrackPoint, point_decoder, point_encoder
from tests.detect import patterns
from tests.support.paths import ROOT

SCHEMA = json.loads((ROOT / "schemas" / "webhook-v1.schema.json").read_text())
HEX = "a1b2c3"  # a US address (A00000-AFFFFF), civil unless watched
US_GOV = Identity(hex=HEX, category="government", state="US", reasons=[])
T0 = 1_760_000_000.0
BORDER_LAT = 31.3335  # the straight US-MX border from 111.07 W to 108.21 W
KM_PER_DEG = 111.2


@pytest.fixture(scope="module")
def settings(boundaries_path: Path) -> Settings:
    """The shipped config, in memory, with HEX watched as US government."""
    base = load_settings(DEFAULT_CONFIG, environ={})
    identify = base.identify.model_copy(update={"watch": {HEX: Category.GOVERNMENT}})
    boundaries = base.boundaries.model_copy(update={"path": boundaries_path})
    return base.model_copy(update={"identify": identify, "boundaries": boundaries, "feeds": []})


def at_home(settings: Settings) -> Settings:
    """Loiter rules that also count loiters over the aircraft's own country."""
    rules = [
        r.model_copy(update={"abroad_only": False}) if isinstance(r, LoiterRule) else r
        for r in settings.rules
    ]
    return settings.model_copy(update={"rules": rules})


def report(t: float, lat: float, lon: float, **extra: Any) -> dict[str, Any]:
    """One aircraft in a readsb-style snapshot."""
    return {"now": t, "aircraft": [{"hex": HEX, "lat": lat, "lon": lon, **extra}]}


def fly(
    t0: float, start: tuple[float, float], heading_deg: float, minutes: float, gs_kt: float = 200
) -> list[dict[str, Any]]:
    """A straight line every 5 s at 20,000 ft."""
    lat0, lon0 = start
    step_km = gs_kt * 1.852 * 5 / 3600
    out = []
    for i in range(int(minutes * 12)):
        d = i * step_km
        lat = lat0 + d * math.cos(math.radians(heading_deg)) / KM_PER_DEG
        lon = lon0 + d * math.sin(math.radians(heading_deg)) / (
            KM_PER_DEG * math.cos(math.radians(lat0))
        )
        out.append(report(t0 + 5 * i, lat, lon, alt_baro=20000, gs=gs_kt, track=heading_deg))
    return out


def circle(
    t0: float, center: tuple[float, float], minutes: float, radius_km: float, period_min: float
) -> list[dict[str, Any]]:
    out = []
    for i in range(int(minutes * 12)):
        angle = 2 * math.pi * (i * 5 / 60) / period_min
        lat = center[0] + radius_km * math.cos(angle) / KM_PER_DEG
        lon = center[1] + radius_km * math.sin(angle) / (
            KM_PER_DEG * math.cos(math.radians(center[0]))
        )
        out.append(report(t0 + 5 * i, lat, lon, alt_baro=6000, gs=120))
    return out


async def run(
    settings: Settings, snapshots: list[dict[str, Any]], tmp_path: Path
) -> tuple[list[dict[str, Any]], str]:
    """Replay snapshots through the pipeline; every notification must match the schema."""
    path = tmp_path / "recording.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in snapshots))
    out = io.StringIO()
    summary = await replay(settings, str(path), deliver=False, out=out)
    notes = [json.loads(line) for line in out.getvalue().splitlines()]
    for note in notes:
        jsonschema.validate(note, SCHEMA)
    return notes, summary


def of_rule(notes: list[dict[str, Any]], rule_id: str) -> list[str]:
    return [n["kind"] for n in notes if n["rule"]["id"] == rule_id]


# --- foreign_airspace through the real border -------------------------------------


async def test_weaving_within_2_km_of_the_border_never_opens(
    settings: Settings, tmp_path: Path
) -> None:
    snapshots = []
    for i in range(12 * 25):  # 25 minutes east along the border, 1.8 km either side
        lat = BORDER_LAT + 1.8 * math.sin(i / 9) / KM_PER_DEG
        lon = -110.5 + i * 1.0 / 300
        snapshots.append(report(T0 + 5 * i, lat, lon, alt_baro=15000, gs=150))
    notes, _ = await run(settings, snapshots, tmp_path)
    assert of_rule(notes, "foreign-airspace") == []
    # The control: the same flight 10 km further south is an entry.
    south = [
        report(s["now"], s["aircraft"][0]["lat"] - 0.09, s["aircraft"][0]["lon"]) for s in snapshots
    ]
    notes, _ = await run(settings, south, tmp_path)
    assert of_rule(notes, "foreign-airspace")[:1] == ["opened"]


async def test_a_teleporting_position_stream_never_opens(
    settings: Settings, tmp_path: Path
) -> None:
    real = fly(T0, (31.6, -110.5), 90, 30)  # east along 31.6 N, 30 km inside the US
    # From minute 5 to 11 every report claims a position 37 km inside Mexico, moving
    # plausibly among themselves (GNSS spoofing); then the real positions resume.
    spoofed = fly(T0 + 300, (31.0, -110.3), 90, 6)
    snapshots = real[:60] + spoofed + real[132:]
    snapshots[150] = report(snapshots[150]["now"], 25.0, -105.0, gs=200)  # one lone jump
    notes, summary = await run(settings, snapshots, tmp_path)
    assert of_rule(notes, "foreign-airspace") == []
    assert "impossible_speed=73" in summary  # every spoofed report and the lone jump


async def test_first_seen_inside_a_foreign_country(settings: Settings, tmp_path: Path) -> None:
    notes, _ = await run(settings, fly(T0, (29.0, -107.0), 180, 5), tmp_path)
    opened = [n for n in notes if n["rule"]["id"] == "foreign-airspace"]
    assert [n["kind"] for n in opened][:1] == ["opened"]
    assert opened[0]["area"]["country"] == "MX"
    assert "was first seen inside Mexico" in opened[0]["summary"]


def test_still_inside_updates_and_resolved_facts() -> None:
    rule = ForeignAirspaceRule(id="fa", repeat_interval_s=1800, depth_milestones_km=[50])
    track = Track(1000)
    state: foreign_airspace.AirspaceState | None = None
    events = []
    for i in range(130):  # 2 h 10 min inside at 60 s, reaching 60 km, then out
        depth = min(10.0 + i, 60.0) if i < 125 else -5.0
        country = "MX" if depth > 0 else "US"
        track.append(
            TrackPoint(T0 + 60 * i, 29.0, -101.0, 20000, 150.0, 0.0, False, country, abs(depth))
        )
        state, found = foreign_airspace.evaluate(rule, US_GOV, track, state, T0 + 60 * i)
        events.extend(found)
    notes = [e.note for e in events]
    assert notes == [
        "entered",
        "still inside after 30 min",
        "depth passed 50 km",
        "still inside after 1 h",
        "still inside after 1 h 30 min",
        "still inside after 2 h",
        "left",
    ]
    resolved = events[-1]
    assert isinstance(resolved.facts, AirspaceFacts)
    assert resolved.facts.max_depth_km == 60.0
    assert resolved.ended_at is not None
    assert resolved.ended_at - resolved.facts.entered_at == 125 * 60  # dwell


def test_next_country_is_entered_at_its_border_not_when_the_exit_is_confirmed() -> None:
    rule = ForeignAirspaceRule(id="fa")
    track = Track(1000)
    state: foreign_airspace.AirspaceState | None = None
    events = []
    for i in range(60):  # 5 min in Belize, then Mexico, every 10 s
        country, depth = ("BZ", 20.0) if i < 30 else ("MX", 20.0)
        track.append(TrackPoint(T0 + 10 * i, 17.9, -88.9, 32000, 450.0, 0.0, False, country, depth))
        state, found = foreign_airspace.evaluate(rule, US_GOV, track, state, T0 + 10 * i)
        events.extend(found)
    assert [(e.kind, e.facts.country) for e in events] == [
        ("opened", "BZ"),
        ("resolved", "BZ"),
        ("opened", "MX"),
    ]
    assert events[2].episode_start == T0 + 300  # the first position in Mexico
    assert events[2].at == events[1].at  # opened as soon as Belize is known to be left


# --- loiter ---------------------------------------------------------------------------


def test_loiter_names_the_nearest_town() -> None:
    rule = LoiterRule(id="loiter")
    track = Track(5000)
    state: loiter.LoiterState | None = None
    events = []
    for s in circle(T0, (19.19, -100.13), 40, 8.0, 10):
        a = s["aircraft"][0]
        track.append(
            TrackPoint(s["now"], a["lat"], a["lon"], 23000, 70.0, None, False, "MX", 300.0)
        )
        state, found = loiter.evaluate(rule, US_GOV, track, state, s["now"])
        events.extend(found)
    facts = events[0].facts
    assert isinstance(facts, LoiterFacts) and facts.place is not None
    assert (facts.place.name, facts.place.country) == ("Valle de Bravo", "MX")
    assert facts.place.distance_km < 3  # the town is at 19.195 N 100.131 W


async def test_orbit_with_gaps_then_a_short_hold_before_landing(
    settings: Settings, tmp_path: Path
) -> None:
    center = (31.9, -110.9)
    orbit = circle(T0, center, 60, 6.0, 6)
    orbit = [s for s in orbit if not (900 <= s["now"] - T0 < 1500)]  # a 10-minute gap
    hold = circle(T0 + 7200, (32.11, -110.94), 12, 3.0, 4)  # 12 min, then it lands
    landing = [
        report(T0 + 7200 + 720 + 5 * i, 32.116, -110.941, alt_baro="ground", gs=20)
        for i in range(20)
    ]
    notes, _ = await run(at_home(settings), orbit + hold + landing, tmp_path)
    loiters = [n for n in notes if n["rule"]["id"] == "loiter"]
    assert [n["kind"] for n in loiters] == ["opened", "resolved"]  # one episode despite the gap
    assert len({n["fingerprint"] for n in loiters}) == 1
    place = loiters[0]["loiter"]["place"]
    expected = nearest_place(*center)
    assert expected is not None and place["name"] == expected.name
    assert f"{expected.name}, US (" in loiters[0]["summary"]


async def test_a_racetrack_notification_says_its_shape_size_and_axis(
    settings: Settings, tmp_path: Path
) -> None:
    # A 90 x 22 km racetrack, legs north-east and south-west, over the Gulf of Mexico.
    points = patterns.fly(patterns.racetrack(90, 22, 5), origin=(25.0, -93.0), heading=45)
    snapshots = [
        report(p.time, p.lat, p.lon, alt_baro=24_000, gs=250, track=p.track_deg) for p in points
    ]
    notes, _ = await run(settings, snapshots, tmp_path)
    loiters = [n for n in notes if n["rule"]["id"] == "loiter"]
    assert [n["kind"] for n in loiters][:2] == ["opened", "update"]
    pattern = loiters[0]["loiter"]
    assert pattern["shape"] == "racetrack" and abs(pattern["axis_deg"] - 45) < 5
    assert 80 < pattern["leg_km"] < 100 and 18 < pattern["width_km"] < 26
    summary = loiters[0]["summary"]
    assert "over the high seas" in summary and "(racetrack, " in summary
    assert f"{pattern['leg_km']:.0f} km legs, {pattern['width_km']:.0f} km wide, axis 04" in summary


# --- signal_lost: landing versus going dark ----------------------------------------


def descent(lat: float, lon: float, start_ft: int, end_ft: int) -> Track:
    """Ten minutes at 30 s intervals ending at (lat, lon), from start_ft to end_ft."""
    track = Track(100)
    for i in range(21):
        alt = round(start_ft + (end_ft - start_ft) * i / 20)
        track.append(
            TrackPoint(
                T0 + 30 * i, lat + (20 - i) * 0.003, lon, alt, 140.0, 180.0, False, "MX", 200.0
            )
        )
    return track


def lost(track: Track) -> list[str]:
    rule = SignalLostRule(id="lost", silent_s=600)
    state, events = signal_lost.evaluate(rule, US_GOV, track, None, T0 + 600 + 1200)
    state, more = signal_lost.evaluate(rule, US_GOV, track, state, T0 + 600 + 3600)
    return [e.kind for e in events + more]


def test_landing_abroad_is_not_going_dark() -> None:
    found = nearest_airport(19.30, -99.57)  # Toluca (MMTO), elevation 8,466 ft
    assert found is not None and found[0].code == "MMTO"
    toluca = (19.32, -99.566)
    # Down to 1,300 ft above the field 2 km out: a landing, nothing is sent.
    assert lost(descent(*toluca, 13000, 9800)) == []
    # Gone at altitude, or low but climbing away: the signal was lost.
    assert lost(descent(*toluca, 24000, 24000)) == ["opened"]
    assert lost(descent(*toluca, 9800, 11000)) == ["opened"]
    # On the runway with the altitude already dropped, as many feeds do on the ground.
    rollout = Track(10)
    rollout.append(TrackPoint(T0 + 600, 19.337, -99.57, None, 90.0, 150.0, False, "MX", 200.0))
    assert lost(rollout) == []
    # Low and descending, but over Valle de Bravo with no airport within 10 km.
    far = nearest_airport(19.19, -100.13)
    assert far is not None and far[1] > 10
    assert lost(descent(19.19, -100.13, 9000, 7000)) == ["opened"]


# --- squawk ----------------------------------------------------------------------------


async def test_squawk_7700_held_alerts_and_a_blip_does_not(
    settings: Settings, tmp_path: Path
) -> None:
    snapshots = fly(T0, (35.0, -100.0), 90, 20)
    for i, s in enumerate(snapshots):
        minute = i / 12
        code = "2000"
        if 2 <= minute < 2.3:  # an 18-second blip
            code = "7700"
        if 5 <= minute < 10:
            code = "7700"
        if 10 <= minute < 11:
            code = "7600"
        s["aircraft"][0]["squawk"] = code
    notes, _ = await run(settings, snapshots, tmp_path)
    squawks = [n for n in notes if n["rule"]["id"] == "squawk"]
    assert [n["kind"] for n in squawks] == ["opened", "update", "resolved"]
    opened, update, resolved = squawks
    assert opened["squawk"] == {"code": "7700", "meaning": "general emergency"}
    assert opened["position"]["squawk"] == "7700"
    assert opened["started_at"] == iso(T0 + 300)  # when 7700 was first reported
    assert update["squawk"]["code"] == "7600"
    assert resolved["position"]["squawk"] == "2000"
    assert "stopped squawking 7600" in resolved["summary"]


# --- storage and configuration -----------------------------------------------------------


def test_track_points_saved_before_squawk_still_decode() -> None:
    old = b'[1760000000.0,19.2,-100.1,22000,80.0,null,false,"MX",900.0]'
    newer = b'[1760000000.0,19.2,-100.1,22000,80.0,null,false,"MX",900.0,["zone"]]'
    assert point_decoder.decode(old).squawk is None
    assert point_decoder.decode(newer).areas == ("zone",)
    point = TrackPoint(T0, 1.0, 2.0, None, None, None, True, None, None, (), "7700")
    assert point_decoder.decode(point_encoder.encode(point)) == point


@pytest.mark.parametrize(
    ("rule", "key"),
    [
        ({"type": "squawk", "codes": ["7800"]}, "codes"),
        ({"type": "squawk", "codes": []}, "codes"),
        ({"type": "squawk", "min_hold_s": -1}, "min_hold_s"),
        ({"type": "squawk", "hold": 60}, "hold"),
        ({"type": "foreign_airspace", "repeat_interval_s": -5}, "repeat_interval_s"),
    ],
)
def test_new_rule_keys_are_validated(rule: dict[str, Any], key: str, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(json.dumps({"rules": [{"id": "r", **rule}]}))
    with pytest.raises(ConfigError, match=rf"rules\.0\.{rule['type']}\.{key}"):
        load_settings(path, environ={})


def test_the_schema_examples_are_valid_payloads() -> None:
    """Both examples (a crossing, a racetrack loiter) match the schema and decode."""
    assert [e["rule"]["type"] for e in SCHEMA["examples"]] == ["foreign_airspace", "loiter"]
    for example in SCHEMA["examples"]:
        jsonschema.validate(example, SCHEMA)
        payload = decode(json.dumps(example).encode())
        assert payload.summary == example["summary"]
    loiter_ref = decode(json.dumps(SCHEMA["examples"][1]).encode()).loiter
    assert loiter_ref and loiter_ref.pattern in SCHEMA["examples"][1]["summary"]
