"""User GeoJSON areas: loading, checks, batch containment, rule filters, the pipeline."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
import shapely
import yaml

from service.app import build_app
from service.detect import loiter, signal_lost
from service.locate.areas import AreaError, Areas, read_area
from service.models import Identity, Position, Snapshot
from service.settings import ConfigError, LoiterRule, Settings, SignalLostRule, load_settings
from service.track import Track, TrackPoint, point_decoder

T0 = 1_755_072_000.0
US_GOV = Identity(hex="ae2fd0", category="government", state="US", reasons=[])
# A box around Valle de Bravo, and a second one farther east around Mexico City.
BRAVO = [[-100.4, 19.0], [-99.9, 19.0], [-99.9, 19.4], [-100.4, 19.4], [-100.4, 19.0]]
CDMX = [[-99.3, 19.2], [-98.9, 19.2], [-98.9, 19.6], [-99.3, 19.6], [-99.3, 19.2]]


def polygon(ring: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": {}, "geometry": geometry}


def write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def bravo_path(tmp_path: Path) -> Path:
    collection = {"type": "FeatureCollection", "features": [feature(polygon(BRAVO))]}
    return write_json(tmp_path / "bravo.geojson", collection)


def test_reads_collections_features_and_bare_geometries(tmp_path: Path) -> None:
    multi = {"type": "MultiPolygon", "coordinates": [[BRAVO], [CDMX]]}
    for name, document in {
        "collection": {"type": "FeatureCollection", "features": [feature(polygon(BRAVO))]},
        "feature": feature(polygon(BRAVO)),
        "bare": polygon(BRAVO),
        "multi": feature(multi),
    }.items():
        area = read_area(name, write_json(tmp_path / f"{name}.geojson", document))
        assert area.name == name
        assert area.geometry.intersects(shapely.Point(-100.13, 19.19))


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"type": "FeatureCollection", "features": []}, "has no features"),
        (feature({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}), "not Polygon"),
        ({"type": "FeatureCollection", "features": [{"type": "Nope"}]}, r"features\[0\]"),
        (polygon([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]), "not a valid polygon"),  # bowtie
        (polygon([[170, 0], [190, 0], [190, 5], [170, 5], [170, 0]]), "outside lon"),
        ({"type": "Point", "coordinates": [0, 0]}, "expected FeatureCollection"),
        ([1, 2, 3], "GeoJSON object"),
        (feature({"type": "Polygon", "coordinates": [[[0, 0], [1]]]}), "not valid GeoJSON"),
    ],
)
def test_bad_files_are_named(tmp_path: Path, document: object, message: str) -> None:
    path = write_json(tmp_path / "bad-area.geojson", document)
    with pytest.raises(AreaError, match=rf"bad-area\.geojson.*{message}"):
        read_area("bad", path)


def test_missing_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(AreaError, match=r"nowhere\.geojson: cannot read"):
        read_area("x", tmp_path / "nowhere.geojson")
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json")
    with pytest.raises(AreaError, match=r"broken\.geojson: not valid JSON"):
        read_area("x", broken)


def test_batch_containment(tmp_path: Path, bravo_path: Path) -> None:
    cdmx = write_json(tmp_path / "cdmx.geojson", feature(polygon(CDMX)))
    areas = Areas.load([("bravo", bravo_path), ("cdmx", cdmx)])
    lat = np.array([19.19, 19.43, 19.0, 25.0, math.nan, 19.19])
    lon = np.array([-100.13, -99.13, -100.0, -100.0, -100.13, 259.87])  # 259.87 = -100.13
    assert areas.contains_many(lat, lon).tolist() == [
        [True, False],
        [False, True],
        [True, False],  # on the edge counts as inside
        [False, False],
        [False, False],
        [True, False],
    ]
    names = areas.names_at(lat, lon)
    assert names == [("bravo",), ("cdmx",), ("bravo",), (), (), ("bravo",)]
    # One tuple per combination, shared by every point holding it, poll after poll
    # (a followed aircraft keeps hours of points, each with its names).
    again = areas.names_at(lat, lon)
    assert names[0] is names[2] is names[5] is again[0] and names[3] is again[4]
    assert not Areas() and Areas().names_at([1.0], [2.0]) == [()]
    with pytest.raises(AreaError, match="repeat"):
        Areas.load([("a", bravo_path), ("a", cdmx)])


# --- configuration ------------------------------------------------------------------


def config_with(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_config_areas_and_rule_references(tmp_path: Path, bravo_path: Path) -> None:
    rules = [
        {"id": "loiter", "type": "loiter", "areas": ["bravo"]},
        {"id": "lost", "type": "signal_lost", "areas": ["bravo"]},
    ]
    good = {"areas": [{"name": "bravo", "path": str(bravo_path)}], "rules": rules}
    settings = load_settings(config_with(tmp_path, good))
    assert [a.name for a in settings.areas] == ["bravo"]
    bad_ref = {**good, "rules": [{"id": "lost", "type": "signal_lost", "areas": ["cdmx"]}]}
    with pytest.raises(ConfigError, match=r"rules\.0\.areas: unknown area cdmx \(defined: bravo\)"):
        load_settings(config_with(tmp_path, bad_ref))
    broken = write_json(tmp_path / "broken.geojson", {"type": "FeatureCollection", "features": []})
    bad_file = {"areas": [{"name": "x", "path": str(broken)}]}
    with pytest.raises(ConfigError, match=r"areas\.0.*broken\.geojson.*no features"):
        load_settings(config_with(tmp_path, bad_file))
    twice = {"areas": [{"name": "b", "path": str(bravo_path)}] * 2}
    with pytest.raises(ConfigError, match="unique"):
        load_settings(config_with(tmp_path, twice))


# --- rules ----------------------------------------------------------------------------


def orbit_points(areas: tuple[str, ...], minutes: float = 60) -> list[TrackPoint]:
    points = []
    for i in range(int(minutes * 6)):
        angle = 2 * math.pi * (i / 6) / 20  # a 20-minute circle of 8 km
        lat = 19.19 + 8 / 111 * math.cos(angle)
        lon = -100.13 + 8 / 105 * math.sin(angle)
        points.append(
            TrackPoint(T0 + i * 10, lat, lon, 22000, 120.0, None, False, "MX", 200.0, areas)
        )
    return points


def run(evaluate: Any, rule: Any, points: list[TrackPoint], until: float) -> list[str]:
    track, state, kinds = Track(10_000), None, []
    for p in points:
        track.append(p)
        state, events = evaluate(rule, US_GOV, track, state, p.time)
        kinds += [e.kind for e in events]
    state, events = evaluate(rule, US_GOV, track, state, until)
    return kinds + [e.kind for e in events]


def test_loiter_honours_areas() -> None:
    rule = LoiterRule(id="loiter", areas=["bravo"])
    assert run(loiter.evaluate, rule, orbit_points(("bravo",)), T0 + 3600)[:1] == ["opened"]
    assert run(loiter.evaluate, rule, orbit_points(("elsewhere",)), T0 + 3600) == []
    assert run(loiter.evaluate, rule, orbit_points(()), T0 + 3600) == []
    anywhere = LoiterRule(id="loiter")
    assert run(loiter.evaluate, anywhere, orbit_points(()), T0 + 3600)[:1] == ["opened"]


def test_signal_lost_honours_areas() -> None:
    rule = SignalLostRule(id="lost", areas=["bravo"])
    inside = orbit_points(("bravo", "other"), minutes=1)
    outside = orbit_points((), minutes=1)
    assert run(signal_lost.evaluate, rule, inside, T0 + 3600) == ["opened"]
    assert run(signal_lost.evaluate, rule, outside, T0 + 3600) == []
    assert run(signal_lost.evaluate, SignalLostRule(id="lost"), outside, T0 + 3600) == ["opened"]


def test_track_points_saved_before_areas_still_decode() -> None:
    old = msgspec.json.encode([T0, 19.2, -100.1, 22000, 120.0, None, False, "MX", 200.0])
    point = point_decoder.decode(old)
    assert point.areas == () and point.country == "MX"
    new = TrackPoint(T0, 19.2, -100.1, None, None, None, False, None, None, ("a", "b"))
    assert point_decoder.decode(msgspec.json.encode(new)) == new


# --- the pipeline -----------------------------------------------------------------------


async def test_pipeline_tags_points_with_areas(boundaries_path: Path, bravo_path: Path) -> None:
    settings = Settings.model_validate(
        {
            "boundaries": {"path": str(boundaries_path)},
            "areas": [{"name": "bravo", "path": str(bravo_path)}],
            "rules": [{"id": "loiter", "type": "loiter", "areas": ["bravo"]}],
        }
    )
    app = await build_app(settings)
    try:
        positions = [
            Position(hex="ae2fd0", time=T0, lat=19.19, lon=-100.13, registration="CBP-113"),
            Position(hex="ae1234", time=T0, lat=25.0, lon=-100.0, callsign="RCH245"),
        ]
        await app.pipeline.process(Snapshot(now=T0, positions=positions))
        tagged = {
            hex_: aircraft.track.last.areas
            for hex_, aircraft in app.fleet.aircraft.items()
            if aircraft.track.last is not None
        }
        assert tagged == {"ae2fd0": ("bravo",), "ae1234": ()}
    finally:
        await app.close()
