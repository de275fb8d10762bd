"""The locate stage against the real boundary index (built once by the conftest fixture)."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pytest
import shapely

from service.cli.lookup import where
from service.locate import Boundaries, BoundariesError
from service.locate import build as boundary_build
from service.locate.boundaries import geodesic_km
from service.locate.depth import geodesic_km_many, haversine_km, sphere_to_ellipsoid_floor
from service.locate.nearby import NearbyBorders
from service.models import Location
from service.settings import BoundarySettings, Settings

NM_KM = 1.852
# Straight stretch of the US-Mexico border along the parallel 31°20' N, west of 108.2 W.
BORDER_LAT, BORDER_LON = 31.3322, -110.0


@pytest.fixture(scope="module")
def boundaries(boundaries_path: Path) -> Boundaries:
    return Boundaries.load(boundaries_path)


def km_to_deg_lat(km: float) -> float:
    return km / 110.9  # meridian degree near 31-35 N


def km_to_deg_lon(km: float, lat: float) -> float:
    return km / (111.32 * math.cos(math.radians(lat)))


@pytest.mark.parametrize(
    ("lat", "lon", "country"),
    [
        (19.19, -100.13, "MX"),  # Valle de Bravo
        (19.4326, -99.1332, "MX"),  # Mexico City
        (18.4655, -66.1057, "US"),  # San Juan, Puerto Rico: a territory maps to its sovereign
        (14.6161, -61.0588, "FR"),  # Fort-de-France, Martinique
        (44.95, 34.10, "UA"),  # Simferopol: overlap RUS/UKR resolved to UA
        (36.14, -5.35, "GB"),  # Gibraltar
        (22.30, 114.17, "CN"),  # Hong Kong
        (27.15, -13.20, "EH"),  # Laayoune: Western Sahara kept apart from MA
        (-29.5, 28.2, "LS"),  # Lesotho: a hole in ZAF drawn as a nested shell
        (47.697, 8.69, "DE"),  # Büsingen: German exclave inside Switzerland
        (43.94, 12.45, "SM"),  # San Marino inside Italy
        (51.44, 4.93, "BE"),  # Baarle-Hertog: Belgian exclaves inside the Netherlands
        (-7.265, 72.37, "GB"),  # Diego Garcia: an island nested in its own sea (IOT)
        (10.22, 103.96, "VN"),  # Phu Quoc: the same for VNM
    ],
)
def test_named_places(boundaries: Boundaries, lat: float, lon: float, country: str) -> None:
    location = boundaries.locate(lat, lon)
    assert location.country == country
    assert location.name and location.depth_km is not None and location.depth_km > 0


def test_names_are_short_english(boundaries: Boundaries) -> None:
    mexico = boundaries.index_of("MX")
    assert mexico is not None
    assert boundaries.name(mexico) == "Mexico"
    assert boundaries.code(mexico) == "MX"
    assert boundaries.index_of("mx") == mexico
    assert boundaries.index_of("ZZ") is None


def test_territories_are_dissolved_into_their_sovereign(boundaries: Boundaries) -> None:
    for territory in ("PR", "MQ", "HK", "GI", "AX", "AW", "GL"):
        assert boundaries.index_of(territory) is None
    for kept_apart in ("EH", "XK", "TW", "PS"):
        assert boundaries.index_of(kept_apart) is not None
    assert boundaries.index_of("AQ") is None  # Antarctica has no sovereign airspace


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (59.85, 25.2),  # Gulf of Finland: the international corridor between FI and EE waters
        (45.0, -12.0),  # open Atlantic
        (-75.0, 0.0),  # Antarctica
    ],
)
def test_high_seas_belong_to_nobody(boundaries: Boundaries, lat: float, lon: float) -> None:
    assert boundaries.locate(lat, lon) == Location(None, None, None)


def test_territorial_sea_is_about_twelve_nautical_miles(boundaries: Boundaries) -> None:
    # Coast reference off Veracruz; the data's 12 nm edge on this parallel is ~95.77 W.
    coast_lat, coast_lon = 19.20, -96.04
    near = boundaries.locate(coast_lat, coast_lon + km_to_deg_lon(5 * NM_KM, coast_lat))
    assert near.country == "MX"
    assert near.depth_km is not None
    # 5 nm out leaves about 7 nm (13 km) to the edge of the territorial sea.
    assert 9 < near.depth_km < 18
    far = boundaries.locate(coast_lat, coast_lon + km_to_deg_lon(20 * NM_KM, coast_lat))
    assert far == Location(None, None, None)


def test_points_either_side_of_the_us_mexico_border(boundaries: Boundaries) -> None:
    north = boundaries.locate(BORDER_LAT + km_to_deg_lat(2), BORDER_LON)
    south = boundaries.locate(BORDER_LAT - km_to_deg_lat(2), BORDER_LON)
    assert north.country == "US"
    assert south.country == "MX"


def test_depth_ten_km_south_of_the_border(boundaries: Boundaries) -> None:
    location = boundaries.locate(BORDER_LAT - km_to_deg_lat(10), BORDER_LON)
    assert location.country == "MX"
    assert location.depth_km == pytest.approx(10, abs=1)


def _brute_force_depth_km(boundaries: Boundaries, index: int, lat: float, lon: float) -> float:
    """Geodesic distance to every point of the border densified to ~100 m, near the point."""
    border = shapely.boundary(boundaries.geometry(index))
    window = shapely.box(lon - 6, lat - 4, lon + 6, lat + 4)
    nearby = shapely.segmentize(shapely.intersection(border, window), 0.001)
    coords = shapely.get_coordinates(nearby)
    return min(geodesic_km(lat, lon, float(y), float(x)) for x, y in coords)


@pytest.mark.parametrize(
    ("lat", "lon", "country"),
    [
        (19.19, -100.13, "MX"),  # deep inland, ~250 km
        (68.5, 25.5, "FI"),  # Lapland: high latitude, short longitude degrees
        (31.30, -109.0, "MX"),  # a few km from a straight land border
        (64.0, -21.5, "IS"),  # near the 12 nm edge, ragged coast
        (61.2, 6.0, "NO"),  # fjords: thousands of short coastal segments
        (78.2, 15.6, "NO"),  # Svalbard: 78 N, where longitude degrees are short
        (-0.9, 119.9, "ID"),  # an archipelago
        (1.3, 103.8, "SG"),  # a small state between two neighbours
    ],
)
def test_depth_matches_brute_force_geodesic(
    boundaries: Boundaries, lat: float, lon: float, country: str
) -> None:
    index = boundaries.index_of(country)
    assert index is not None
    assert boundaries.locate_many(np.array([lat]), np.array([lon]))[0] == index
    expected = _brute_force_depth_km(boundaries, index, lat, lon)
    assert boundaries.depth_km(index, lat, lon) == pytest.approx(expected, abs=0.1)


def test_geodesic_matches_vincentys_published_example() -> None:
    # Flinders Peak -> Buninyong, 54 972.271 m (Vincenty 1975, as used by Geoscience Australia).
    flinders = (-(37 + 57 / 60 + 3.72030 / 3600), 144 + 25 / 60 + 29.52440 / 3600)
    buninyong = (-(37 + 39 / 60 + 10.15610 / 3600), 143 + 55 / 60 + 35.38390 / 3600)
    assert geodesic_km(*flinders, *buninyong) == pytest.approx(54.972271, abs=0.005)
    assert geodesic_km(10.0, 20.0, 10.0, 20.0) == 0.0


def test_locate_many_agrees_with_locate(boundaries: Boundaries) -> None:
    rng = np.random.default_rng(7)
    lat = np.concatenate([np.degrees(np.arcsin(rng.uniform(-1, 1, 300))), [19.19, 44.95]])
    lon = np.concatenate([rng.uniform(-180, 180, 300), [-100.13, 34.10]])
    indexes = boundaries.locate_many(lat, lon)
    assert indexes.dtype == np.int32 and indexes.shape == lat.shape
    assert (indexes >= 0).sum() > 50  # about 30 % of random points are in some country
    for la, lo, index in zip(lat.tolist(), lon.tolist(), indexes.tolist(), strict=True):
        expected = None if index < 0 else boundaries.code(index)
        assert boundaries.locate(la, lo).country == expected


def test_unusable_coordinates_give_minus_one(boundaries: Boundaries) -> None:
    lat = np.array([np.nan, 19.19, 19.19, np.inf, 95.0, 19.19])
    lon = np.array([-100.13, np.nan, -100.13, -100.13, -100.13, 259.87])  # 259.87 = -100.13
    indexes = boundaries.locate_many(lat, lon)
    mexico = boundaries.index_of("MX")
    assert indexes.tolist() == [-1, -1, mexico, -1, -1, mexico]
    assert boundaries.locate(math.nan, 0.0) == Location(None, None, None)
    assert boundaries.locate_many(np.array([]), np.array([])).shape == (0,)


def test_where_command(boundaries_path: Path) -> None:
    settings = Settings(boundaries=BoundarySettings(path=boundaries_path))
    answer = where(settings, 31.30, -109.0)
    assert answer["country"] == "MX" and answer["name"] == "Mexico"
    assert 0 < answer["depth_km"] < 10
    assert where(settings, 45.0, -12.0) == {
        "country": None,
        "name": None,
        "depth_km": None,
    }


def test_index_records_source_and_licence(boundaries: Boundaries) -> None:
    source = boundaries.header["source"]
    assert source["package"] == "@geo-maps/countries-maritime-10m@0.6.0"
    assert source["attribution"] == "© OpenStreetMap contributors"
    assert source["data_licence"].startswith("ODbL-1.0")


def test_missing_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(BoundariesError, match="make boundaries"):
        Boundaries.load(tmp_path / "nope.bin")


def test_corrupt_file_says_how_to_fix(tmp_path: Path, boundaries_path: Path) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(b"not a boundary index at all")
    with pytest.raises(BoundariesError, match=r"bad magic.*make boundaries"):
        Boundaries.load(garbage)
    blob = bytearray(boundaries_path.read_bytes())
    blob[-100] ^= 0xFF
    flipped = tmp_path / "flipped.bin"
    flipped.write_bytes(bytes(blob))
    with pytest.raises(BoundariesError, match=r"checksum.*make boundaries"):
        Boundaries.load(flipped)
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(bytes(blob[: len(blob) // 2]))
    with pytest.raises(BoundariesError, match="make boundaries"):
        Boundaries.load(truncated)


def test_a_gzip_compressed_index_reads_the_same(tmp_path: Path, boundaries_path: Path) -> None:
    packed = tmp_path / "boundaries.bin.gz"
    packed.write_bytes(gzip.compress(boundaries_path.read_bytes(), mtime=0))
    plain, compressed = Boundaries.load(boundaries_path), Boundaries.load(packed)
    assert compressed.header == plain.header
    points = np.array([[19.19, -100.13], [44.95, 34.10], [0.0, -30.0], [51.44, 4.93]])
    assert compressed.locate_many(points[:, 0], points[:, 1]).tolist() == (
        plain.locate_many(points[:, 0], points[:, 1]).tolist()
    )
    assert compressed.locate(19.19, -100.13) == plain.locate(19.19, -100.13)
    cut = tmp_path / "cut.bin.gz"
    cut.write_bytes(packed.read_bytes()[:100_000])
    with pytest.raises(BoundariesError, match=r"is corrupt.*make boundaries"):
        Boundaries.load(cut)


def test_sovereignty_table() -> None:
    table = boundary_build.load_sovereignty()
    assert boundary_build.sovereign_of("PRI", table) == "US"
    assert boundary_build.sovereign_of("HKG", table) == "CN"
    assert boundary_build.sovereign_of("ESH", table) == "EH"
    assert boundary_build.sovereign_of("XKX", table) == "XK"
    assert boundary_build.sovereign_of("MEX", table) == "MX"
    assert boundary_build.sovereign_of("ATA", table) is None
    with pytest.raises(boundary_build.BuildError):
        boundary_build.sovereign_of("ZZZ", table)


def test_overlap_policy_on_synthetic_squares() -> None:
    # A big claim containing a small one: the small one wins, unless an override applies.
    codes = ["ESP", "GIB", "RUS", "UKR"]
    geometries = np.array(
        [
            shapely.box(0, 0, 10, 10),
            shapely.box(4, 4, 5, 5),
            shapely.box(20, 0, 22, 2),  # smaller than UKR, but Crimea goes to UKR
            shapely.box(21, 1, 30, 10),
        ],
        dtype=object,
    )
    faces, owners, overlaps = boundary_build.resolve_overlaps(codes, geometries)

    def owner_of(x: float, y: float) -> str:
        for face, owner in zip(faces, owners, strict=True):
            if face.contains(shapely.Point(x, y)):
                return codes[owner]
        raise AssertionError(f"no face holds ({x}, {y})")

    assert owner_of(4.5, 4.5) == "GIB"
    assert owner_of(1, 1) == "ESP"
    assert owner_of(21.5, 1.5) == "UKR"
    assert owner_of(20.5, 0.5) == "RUS"
    winners = {o.claimants: o.winner for o in overlaps}
    assert winners == {("ESP", "GIB"): "GIB", ("RUS", "UKR"): "UKR"}
    assert sum(shapely.area(faces)) == pytest.approx(100 + 4 + 81 - 1)


# --- the lookup grid: fast answers that equal the exact ones --------------------------


def _brute_force_locate(boundaries: Boundaries, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Every country's whole MultiPolygon tested against every point in its bounding box;
    the lowest country index wins, as in `locate_many`."""
    x = (lon + 180.0) % 360.0 - 180.0
    result = np.full(lat.shape, -1, dtype=np.int64)
    for index in range(len(boundaries) - 1, -1, -1):  # descending: the lowest wins last
        geometry = boundaries.geometry(index)
        shapely.prepare(geometry)
        west, south, east, north = shapely.bounds(geometry).tolist()
        box = np.flatnonzero((x >= west) & (x <= east) & (lat >= south) & (lat <= north))
        hit = box[shapely.intersects_xy(geometry, x[box], lat[box])]
        result[hit] = index
    return result


def _border_points(
    boundaries: Boundaries, rng: np.random.Generator, n: int, max_km: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points on borders and coasts (length-weighted), moved up to max_km in lat and lon."""
    rings = np.concatenate(
        [
            shapely.get_rings(shapely.get_parts(boundaries.geometry(i)))
            for i in range(len(boundaries))
        ]
    )
    lengths = shapely.length(rings)
    chosen = rng.choice(rings.size, size=n, p=lengths / lengths.sum())
    on_border = shapely.line_interpolate_point(rings[chosen], rng.uniform(0, 1, n), normalized=True)
    coords = shapely.get_coordinates(on_border)
    lat = np.clip(coords[:, 1] + rng.uniform(-1, 1, n) * km_to_deg_lat(max_km), -90, 90)
    lon = coords[:, 0] + rng.uniform(-1, 1, n) * max_km / 111.32 / np.cos(np.radians(lat)).clip(
        0.05
    )
    return lat, lon


def test_locate_many_equals_brute_force_on_world_and_border_points(
    boundaries: Boundaries,
) -> None:
    rng = np.random.default_rng(20250813)
    world_lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 20_000)))
    world_lon = rng.uniform(-180, 180, 20_000)
    border_lat, border_lon = _border_points(boundaries, rng, 20_000, 20.0)
    for lat, lon in ((world_lat, world_lon), (border_lat, border_lon)):
        expected = _brute_force_locate(boundaries, lat, lon)
        assert np.array_equal(boundaries.locate_many(lat, lon), expected)
    assert (_brute_force_locate(boundaries, border_lat, border_lon) >= 0).mean() > 0.3


def test_grid_edges_vertices_and_poles_agree_with_the_exact_test(boundaries: Boundaries) -> None:
    rng = np.random.default_rng(5)
    # Exactly on fine-cell edges (1/32°), on border vertices, and at the extremes.
    cells_lat = np.round(rng.uniform(-60, 75, 5_000) * 32) / 32
    cells_lon = np.round(rng.uniform(-180, 180, 5_000) * 32) / 32
    mexico, usa = boundaries.index_of("MX"), boundaries.index_of("US")
    assert mexico is not None and usa is not None
    vertices = shapely.get_coordinates(
        np.array([boundaries.geometry(mexico), boundaries.geometry(usa)])
    )[::50]
    lat = np.concatenate([cells_lat, vertices[:, 1], [90.0, -90.0, 0.0, 0.0, 89.999, 60.0]])
    lon = np.concatenate([cells_lon, vertices[:, 0], [0.0, 0.0, -180.0, 180.0, 179.99, -179.999]])
    assert np.array_equal(
        boundaries.locate_many(lat, lon), _brute_force_locate(boundaries, lat, lon)
    )


def test_grid_build_is_stored_in_the_index(boundaries: Boundaries) -> None:
    assert boundaries.header["format"] == 2
    assert boundaries.header["grid"] == {"cell_deg": 0.25, "sub_cells": 8}


def test_depth_many_equals_depth_km_point_by_point(boundaries: Boundaries) -> None:
    rng = np.random.default_rng(7)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 4000)))
    lon = rng.uniform(-180, 180, 4000)
    indexes = boundaries.locate_many(lat, lon)
    inside = np.flatnonzero(indexes >= 0)[:150]
    batch = boundaries.depth_many(indexes[inside], lat[inside], lon[inside])
    single = [boundaries.depth_km(int(indexes[i]), lat[i], lon[i]) for i in inside]
    assert batch.tolist() == pytest.approx(single, abs=1e-9)
    assert (batch > 0).all()


def test_nearby_borders_give_exactly_the_full_measurement(boundaries: Boundaries) -> None:
    """The per-aircraft cache answers what a full measurement answers, step after step,
    across moves within and beyond its margin and across a change of country."""
    rng = np.random.default_rng(11)
    starts = [(19.19, -100.13), (31.2, -109.5), (61.2, 6.0), (64.0, -21.5), (1.3, 103.8)]
    starts += [(float(rng.uniform(-50, 60)), float(rng.uniform(-120, 140))) for _ in range(25)]
    lat = np.array([s[0] for s in starts])
    lon = np.array([s[1] for s in starts])
    keys = [f"a{i:05x}" for i in range(lat.size)]
    cache = NearbyBorders(boundaries, margin_km=20.0)
    for step in range(24):
        # Mostly a few km per poll; now and then a 60 km leap that must refresh the cache.
        km = np.where(rng.uniform(size=lat.size) < 0.1, 60.0, rng.uniform(0, 6, lat.size))
        heading = rng.uniform(0, 2 * np.pi, lat.size)
        lat = np.clip(lat + km * np.cos(heading) / 111.0, -80, 80)
        lon = lon + km * np.sin(heading) / (111.0 * np.cos(np.radians(lat)))
        indexes = boundaries.locate_many(lat, lon)
        rows = np.flatnonzero(indexes >= 0)
        cached = cache.depths([keys[r] for r in rows], indexes[rows], lat[rows], lon[rows])
        full = boundaries.depth_many(indexes[rows], lat[rows], lon[rows])
        assert cached.tolist() == pytest.approx(full.tolist(), abs=1e-9), f"step {step}"
    assert cache.hits > 0 and cache.misses > 0
    assert 0 < cache.bounded < cache.misses  # refreshed from the last depth, and searched


# Points below 28 degrees of latitude whose nearest border lies to the north or south,
# where an ellipsoidal distance is as little as 99.44 % of the spherical one: in Zambia,
# the Democratic Republic of the Congo, Tanzania, Borneo, the Java Sea, Valle de Bravo.
TROPICAL = [
    (-15.1560511, 25.78510035),
    (1.9640455, 27.87826986),
    (-8.84809272, 34.01416332),
    (0.39256333, 113.41521334),
    (-3.28437487, 108.78151921),
    (19.19, -100.13),
]


def _nearest_segment_km(boundaries: Boundaries, index: int, lat: float, lon: float) -> float:
    """The depth by brute force: the distance to every segment of the country."""
    segments = boundaries.segments(index)
    every = np.arange(segments.x1.size)
    return float(
        segments._segment_km(np.full(every.size, lat), np.full(every.size, lon), every).min()
    )


def test_depths_in_the_tropics_are_the_nearest_segment(boundaries: Boundaries) -> None:
    """Neither the full measurement nor the per-aircraft cache leaves out the nearest
    segment where the ellipsoid is narrowest (meridian arcs near the equator)."""
    cache = NearbyBorders(boundaries, margin_km=20.0)
    for lat0, lon0 in TROPICAL:
        # A few km a poll to the south, then a leap beyond the margin, then on again.
        steps_km = [0.0, 3.0, 3.0, 3.0, 30.0, 3.0, 3.0]
        lat = lat0 - np.cumsum(steps_km) / 110.6
        lon = np.full(lat.size, lon0)
        for q_lat, q_lon in zip(lat.tolist(), lon.tolist(), strict=True):
            index = int(boundaries.locate_many([q_lat], [q_lon])[0])
            assert index >= 0
            expected = _nearest_segment_km(boundaries, index, q_lat, q_lon)
            full = boundaries.depth_many([index], [q_lat], [q_lon])
            cached = cache.depths(["a"], [index], np.array([q_lat]), np.array([q_lon]))
            assert float(full[0]) == pytest.approx(expected, abs=1e-9), (q_lat, q_lon)
            assert float(cached[0]) == pytest.approx(expected, abs=1e-9), (q_lat, q_lon)
        cache.forget("a")


def test_the_ellipsoid_floor_bounds_every_geodesic() -> None:
    """The search's lower bounds scale a spherical distance by `sphere_to_ellipsoid_floor`
    at the lower |latitude| of the two points (the equator's across it): the WGS84
    distance is never shorter, in any direction, at any latitude."""
    rng = np.random.default_rng(3)
    n = 200_000
    lat1, lon1 = rng.uniform(-89.0, 89.0, n), rng.uniform(-180.0, 180.0, n)
    step = rng.uniform(0.5, 800.0, n) / 111.0
    heading = rng.uniform(0.0, 2 * np.pi, n)
    lat2 = np.clip(lat1 + step * np.cos(heading), -89.9, 89.9)
    lon2 = lon1 + step * np.sin(heading) / np.cos(np.radians(lat1)).clip(0.05)
    same = np.sign(lat1) == np.sign(lat2)
    low = np.where(same, np.minimum(np.abs(lat1), np.abs(lat2)), 0.0)
    bound = sphere_to_ellipsoid_floor(low) * haversine_km(lat1, lon1, lat2, lon2)
    # Lambert's formula is good to about 10 m; the bound holds with room to spare.
    assert (geodesic_km_many(lat1, lon1, lat2, lon2) >= bound - 0.01).all()
    # And it is close: north-south at the equator the floor is the ratio itself.
    equator = geodesic_km(-0.5, 10.0, 0.5, 10.0)
    spherical = float(
        haversine_km(np.array([-0.5]), np.array([10.0]), np.array([0.5]), np.array([10.0]))[0]
    )
    assert equator / spherical == pytest.approx(
        float(sphere_to_ellipsoid_floor(np.zeros(1))[0]), abs=1e-4
    )
