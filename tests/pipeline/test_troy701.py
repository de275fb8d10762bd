"""The TROY701 story, end to end over both stores: a recording in, notifications out."""

from __future__ import annotations

import gzip
import io
import json
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import SecretStr

from service.cli.replay import replay
from service.locate import Boundaries
from service.settings import DEFAULT_CONFIG, Settings, load_settings
from tests.support.paths import ROOT

SCHEMA = json.loads((ROOT / "schemas" / "webhook-v1.schema.json").read_text())
TROY = "ae2fd0"


def settings_for(boundaries_path: Path, redis_url: str | None, prefix: str = "") -> Settings:
    base = load_settings(DEFAULT_CONFIG, environ={})
    secret = SecretStr(redis_url) if redis_url else None
    # A prefix of its own per test keeps concurrent test runs on one Redis apart.
    prefix = prefix or f"bwtest-{uuid.uuid4().hex[:12]}"
    store = base.store.model_copy(update={"redis_url": secret, "key_prefix": prefix})
    boundaries = base.boundaries.model_copy(update={"path": boundaries_path})
    return base.model_copy(update={"store": store, "boundaries": boundaries, "feeds": []})


async def run_replay(settings: Settings, path: Path) -> tuple[list[dict[str, Any]], str]:
    out = io.StringIO()
    summary = await replay(settings, str(path), deliver=False, out=out)
    return [json.loads(line) for line in out.getvalue().splitlines()], summary


def troy_track(path: Path) -> list[tuple[float, float, float]]:
    """TROY701's (time, lat, lon) as recorded."""
    points = []
    with gzip.open(path, "rt") as lines:
        for line in lines:
            snapshot = json.loads(line)
            for aircraft in snapshot["aircraft"]:
                if aircraft["hex"] == TROY and "lat" in aircraft:
                    fix_time = snapshot["now"] - aircraft.get("seen_pos", 0.0)
                    points.append((fix_time, aircraft["lat"], aircraft["lon"]))
    return points


@pytest.fixture(params=["memory", "redis"])
def store_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "memory":
        return None
    return str(request.getfixturevalue("redis_url"))


@pytest.fixture(scope="module")
def story_facts(troy701_path: Path, boundaries_path: Path) -> dict[str, float]:
    """When TROY701 crossed into Mexico, began to orbit, and was last heard."""
    boundaries = Boundaries.load(boundaries_path)
    track = troy_track(troy701_path)
    crossing = next(t for t, lat, lon in track if boundaries.locate(lat, lon).country == "MX")
    # The orbit begins where the track first comes within 25 km of Valle de Bravo.
    from service.locate.geo import haversine_km

    orbit_start = next(t for t, lat, lon in track if haversine_km(lat, lon, 19.19, -100.13) < 25)
    return {"crossing": crossing, "orbit_start": orbit_start, "last_seen": track[-1][0]}


def ts(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def test_troy701_story(
    troy701_path: Path,
    boundaries_path: Path,
    store_url: str | None,
    story_facts: dict[str, float],
) -> None:
    notes, summary = await run_replay(settings_for(boundaries_path, store_url), troy701_path)
    assert "rejected: none" in summary

    # No alert for any other aircraft: civil crossers, the civil orbit, RCH at home.
    assert {n["aircraft"]["hex"] for n in notes} == {TROY}
    for note in notes:
        jsonschema.validate(note, SCHEMA)

    by_rule: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for note in notes:
        by_rule[note["rule"]["id"]].append(note)

    entry = by_rule["foreign-airspace"]
    assert entry[0]["kind"] == "opened" and entry[0]["area"]["country"] == "MX"
    assert ts(entry[0]["at"]) - story_facts["crossing"] <= 300
    assert entry[0]["aircraft"]["category"] == "government"
    assert entry[0]["aircraft"]["state"] == "US"
    assert entry[-1]["status"] == "resolved"
    # Depth is the distance to Mexico's nearest border or coast (~340 km at most there).
    assert max(n["area"]["max_depth_km"] for n in entry) > 250
    assert [n["kind"] for n in entry[1:-1]] == ["update"] * (len(entry) - 2)

    loiter = by_rule["loiter"]
    assert len({n["fingerprint"] for n in loiter}) == 1  # one episode despite the gaps
    assert loiter[0]["kind"] == "opened"
    assert ts(loiter[0]["at"]) - story_facts["orbit_start"] <= 1800
    assert [n["kind"] for n in loiter[1:-1]] == ["update"] * (len(loiter) - 2)
    assert len(loiter) - 2 >= 2  # "still loitering" after 1 h, 2 h, ...
    assert loiter[-1]["status"] == "resolved"
    center = loiter[-1]["loiter"]["center"]
    assert abs(center["lat"] - 19.19) < 0.1 and abs(center["lon"] + 100.13) < 0.1
    assert {n["loiter"]["place"]["name"] for n in loiter} == {"Valle de Bravo"}
    assert "near Valle de Bravo, MX" in loiter[0]["summary"]

    lost = by_rule["signal-lost"]
    assert lost[0]["kind"] == "opened" and lost[0]["area"]["country"] == "MX"
    assert ts(lost[0]["at"]) - story_facts["last_seen"] >= 600
    assert ts(lost[0]["signal"]["last_seen"]) == pytest.approx(story_facts["last_seen"], abs=1)

    # Identity and lifecycle: sequences count up per episode; ids never repeat.
    assert len({n["id"] for n in notes}) == len(notes)
    for fingerprint in {n["fingerprint"] for n in notes}:
        episode = [n for n in notes if n["fingerprint"] == fingerprint]
        assert [n["sequence"] for n in episode] == list(range(len(episode)))


async def test_restart_with_redis_continues_without_duplicates(
    troy701_path: Path, boundaries_path: Path, redis_url: str, tmp_path: Path
) -> None:
    settings = settings_for(boundaries_path, redis_url)
    fresh = settings_for(boundaries_path, redis_url)  # the same Redis, a clean key space
    with gzip.open(troy701_path, "rt") as lines:
        all_lines = lines.readlines()
    first_half = tmp_path / "first.jsonl"
    first_half.write_text("".join(all_lines[: len(all_lines) // 2]))

    before, _ = await run_replay(settings, first_half)  # the service stops mid-flight
    after, summary = await run_replay(settings, troy701_path)  # restarted on the whole feed
    assert "already processed" in summary

    uninterrupted, _ = await run_replay(fresh, troy701_path)

    assert before and after
    assert [n["id"] for n in before + after] == [n["id"] for n in uninterrupted]
    assert before + after == uninterrupted  # the episode continued exactly

    again, _ = await run_replay(settings, troy701_path)
    assert again == []  # never the same notification twice


async def test_malformed_lines_are_skipped_and_counted(
    troy701_path: Path, boundaries_path: Path, tmp_path: Path
) -> None:
    with gzip.open(troy701_path, "rt") as lines:
        good = lines.readlines()[:200]
    broken = [*good[:50], "{not json\n", "[1, 2]\n", '{"now": "soon"}\n', *good[50:]]
    bad_record = json.loads(good[60])
    bad_record["now"] += 0.5
    bad_record["aircraft"].append({"hex": 12, "lat": "north"})
    broken.insert(64, json.dumps(bad_record) + "\n")  # right after good[60]
    path = tmp_path / "broken.jsonl"
    path.write_text("".join(broken))
    _, summary = await run_replay(settings_for(boundaries_path, None), path)
    assert "invalid_json=1" in summary
    assert "not_an_object=1" in summary
    assert "malformed_record=1" in summary
    assert "201 snapshots" in summary
