"""Build the boundary index from @geo-maps/countries-maritime-10m (reproducible).

Steps: fetch the pinned npm tarball (checked against its published sha512), read the
250 GeoJSON features, map each A3 code to its sovereign State, resolve overlapping
claims so every point belongs to at most one State, dissolve per sovereign, simplify
the whole map as one coverage (neighbours keep identical shared borders, so no gaps
or slivers appear along land borders), and write the compact index read by
`service.locate.boundaries`. See docs/boundaries.md for the policy choices.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pycountry
import shapely

from service.locate import grid as grid_module
from service.locate.boundaries import ARRAY_NAMES, Boundaries, pack_index
from service.locate.dataset import INTEGRITY as INTEGRITY
from service.locate.dataset import PACKAGE as PACKAGE
from service.locate.dataset import SOURCE as SOURCE
from service.locate.dataset import VERSION as VERSION
from service.locate.dataset import BuildError as BuildError
from service.locate.dataset import fetch_tarball, read_features

DEFAULT_OUT = Path("var/boundaries.bin")
DEFAULT_CACHE = Path("var/cache")
# Visvalingam-Whyatt tolerance (degrees, roughly the side of the smallest kept triangle).
DEFAULT_TOLERANCE_DEG = 0.0005
SOVEREIGNTY_TSV = Path(__file__).with_name("data") / "sovereignty.tsv"
EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius; for reporting and ranking areas only
REPORT_MIN_KM2 = 1.0

# Where two features claim the same area the smaller feature wins (a territory inside a
# larger claim). These pairs follow the UN position instead, whatever the areas.
OVERLAP_OVERRIDES: dict[frozenset[str], tuple[str, str]] = {
    frozenset({"RUS", "UKR"}): ("UKR", "Crimea: UN General Assembly res. 68/262 (2014)"),
    frozenset({"MAR", "ESH"}): ("ESH", "UN list of Non-Self-Governing Territories"),
    frozenset({"ISR", "PSE"}): ("PSE", "East Jerusalem: UN Security Council res. 478, 2334"),
}
# pycountry's ISO names are "Surname, Given" for a few sovereigns; Kosovo is not in ISO.
NAME_OVERRIDES = {
    "CD": "Democratic Republic of the Congo",
    "FM": "Micronesia",
    "PS": "Palestine",
    "RU": "Russia",  # ISO's "Russian Federation" has no common_name in pycountry
    "VA": "Vatican City",
    "XK": "Kosovo",
}


@dataclass(frozen=True, slots=True)
class Overlap:
    """An area claimed by more than one source feature, and who was given it."""

    claimants: tuple[str, ...]  # A3 codes
    winner: str
    area_km2: float
    lat: float
    lon: float
    rule: str


def load_sovereignty(path: Path = SOVEREIGNTY_TSV) -> dict[str, str]:
    """A3 -> sovereign alpha-2 ("-" = drop) from the hand-kept table of non-UN-members."""
    rows = [line.split("\t") for line in path.read_text().splitlines() if line[:1] != "#"]
    return {a3: sovereign for a3, sovereign, _note in rows[1:]}  # rows[0] is the header


def sovereign_of(a3: str, table: dict[str, str]) -> str | None:
    """Alpha-2 of the State whose airspace the feature is; None if it has none."""
    if a3 in table:
        return None if table[a3] == "-" else table[a3]
    country = pycountry.countries.get(alpha_3=a3)
    if country is None:
        raise BuildError(f"A3 code {a3!r} is neither ISO 3166-1 nor in {SOVEREIGNTY_TSV.name}")
    return str(country.alpha_2)


def country_name(alpha_2: str) -> str:
    """English short name: the override, else pycountry's common name, else its name."""
    if alpha_2 in NAME_OVERRIDES:
        return NAME_OVERRIDES[alpha_2]
    country = pycountry.countries.get(alpha_2=alpha_2)
    if country is None:
        raise BuildError(f"no name known for {alpha_2!r}; add it to NAME_OVERRIDES")
    return str(getattr(country, "common_name", None) or country.name)


def polygonal(geometry: Any) -> Any:
    """A valid MultiPolygon: repairs invalid input and drops stray lines and points."""
    if not shapely.is_valid(geometry):
        geometry = shapely.make_valid(geometry)
    parts = [p for p in shapely.get_parts(geometry) if shapely.get_type_id(p) in (3, 6)]
    if not parts:
        return shapely.MultiPolygon()
    merged = shapely.union_all(parts) if len(parts) > 1 else parts[0]
    return shapely.multipolygons(shapely.get_parts(merged))


def filled(geometry: Any) -> Any:
    """The feature with every drawn shell claimed: the union of its parts, each repaired.

    `polygonal` repairs with even-odd semantics, so a shell drawn inside another shell
    becomes a hole. That is right for enclaves (Lesotho inside ZAF, Büsingen inside CHE)
    but wrong where a feature draws its own island inside its own sea (Diego Garcia in
    IOT, Phu Quoc in VNM); `resolve_overlaps` uses this to give such holes back.
    """
    return polygonal(shapely.union_all([polygonal(p) for p in shapely.get_parts(geometry)]))


def area_km2(geometries: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Spherical area via the cylindrical equal-area transform (x = lon, y = sin lat)."""

    def to_equal_area(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.column_stack([np.radians(coords[:, 0]), np.sin(np.radians(coords[:, 1]))])

    projected = shapely.transform(geometries, to_equal_area)
    return np.asarray(shapely.area(projected) * EARTH_RADIUS_KM**2, dtype=np.float64)


def _winner(claimants: list[int], codes: list[str], areas: npt.NDArray[np.float64]) -> int:
    names = {codes[i] for i in claimants}
    losers = {
        code
        for pair, (winner, _why) in OVERLAP_OVERRIDES.items()
        if pair <= names
        for code in pair - {winner}
    }
    remaining = [i for i in claimants if codes[i] not in losers] or claimants
    return min(remaining, key=lambda i: (areas[i], codes[i]))


def resolve_overlaps(
    codes: list[str], geometries: npt.NDArray[Any], drawn: npt.NDArray[Any] | None = None
) -> tuple[npt.NDArray[Any], list[int], list[Overlap]]:
    """Split the map into faces that each belong to exactly one feature.

    All feature boundaries are noded together and polygonised, so every face lies wholly
    inside or outside each feature; a face claimed by several features goes to the
    winner (override, else the smallest feature). A face no feature claims goes to the
    feature whose `drawn` (filled) shells hold it, if any; otherwise it is dropped (the
    high seas between coasts). Returns faces, owner index per face, and the overlaps and
    filled nested shells found (one claimant), largest first.
    """
    areas = area_km2(geometries)
    noded = shapely.union_all(shapely.boundary(geometries))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    inner_points = shapely.point_on_surface(faces)
    face_hits, feature_hits = shapely.STRtree(geometries).query(inner_points, predicate="within")
    claims: dict[int, list[int]] = defaultdict(list)
    for face, feature in zip(face_hits.tolist(), feature_hits.tolist(), strict=True):
        claims[face].append(feature)
    filled_faces: set[int] = set()
    if drawn is not None:
        unclaimed = np.setdiff1d(np.arange(len(faces)), face_hits)
        hole_hits, feature_hits = shapely.STRtree(drawn).query(
            inner_points[unclaimed], predicate="within"
        )
        for face, feature in zip(unclaimed[hole_hits].tolist(), feature_hits.tolist(), strict=True):
            claims[face].append(feature)
            filled_faces.add(face)
    face_areas = area_km2(faces)
    kept_faces: list[int] = []
    owners: list[int] = []
    shared: dict[tuple[tuple[str, ...], str], list[int]] = defaultdict(list)
    for face, claimants in sorted(claims.items()):
        owner = _winner(claimants, codes, areas)
        kept_faces.append(face)
        owners.append(owner)
        if len(claimants) > 1 or face in filled_faces:
            shared[(tuple(sorted(codes[i] for i in claimants)), codes[owner])].append(face)
    overlaps = []
    for (claimants_a3, winner), members in shared.items():
        largest = max(members, key=lambda f: face_areas[f])
        where = shapely.point_on_surface(faces[largest])
        pair = frozenset(claimants_a3)
        rule = OVERLAP_OVERRIDES[pair][1] if pair in OVERLAP_OVERRIDES else "smaller wins"
        if len(pair) == 1:
            rule = "nested shell with no other claimant: kept"
        total = float(face_areas[members].sum())
        overlaps.append(Overlap(claimants_a3, winner, total, where.y, where.x, rule))
    overlaps.sort(key=lambda o: -o.area_km2)
    return faces[kept_faces], owners, overlaps


def dissolve(faces: npt.NDArray[Any], sovereigns: list[str]) -> tuple[list[str], npt.NDArray[Any]]:
    """One geometry per sovereign (sorted by code) from the faces it owns."""
    by_sovereign: dict[str, list[int]] = defaultdict(list)
    for face, sovereign in enumerate(sovereigns):
        by_sovereign[sovereign].append(face)
    order = sorted(by_sovereign)
    merged = [shapely.coverage_union_all(faces[by_sovereign[code]]) for code in order]
    return order, np.array(merged, dtype=object)


def simplify(geometries: npt.NDArray[Any], tolerance: float) -> npt.NDArray[Any]:
    """Simplify all countries together so shared borders stay identical on both sides."""
    simplified = shapely.coverage_simplify(geometries, tolerance)
    return np.array([polygonal(g) for g in simplified], dtype=object)


def check_disjoint(codes: list[str], geometries: npt.NDArray[Any]) -> None:
    """Fail the build if any two countries' interiors still overlap."""
    left, right = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    left, right = left[left < right], right[left < right]  # each pair once, no self-pairs
    overlapping = shapely.relate_pattern(geometries[left], geometries[right], "T********")
    pairs = zip(left[overlapping], right[overlapping], strict=True)
    if bad := [f"{codes[a]}/{codes[b]}" for a, b in pairs]:
        raise BuildError(f"countries still overlap after resolution: {', '.join(bad)}")


def write_index(
    out: Path, codes: list[str], geometries: npt.NDArray[Any], header: dict[str, Any]
) -> int:
    """Write the index atomically (temporary file, then rename); returns its size."""
    geometry_type, coords, offsets = shapely.to_ragged_array(geometries)
    if geometry_type != shapely.GeometryType.MULTIPOLYGON:
        raise BuildError(f"expected MultiPolygons, got {geometry_type!r}")
    arrays = dict(zip(ARRAY_NAMES[:4], (coords, *offsets), strict=True))
    header = {**header, "countries": [{"code": c, "name": country_name(c)} for c in codes]}
    # The grid is classified by the very polygon test the loaded index runs.
    grid = Boundaries(header, arrays).build_grid()
    header["grid"] = {"cell_deg": 1 / grid_module.CELLS_PER_DEG, "sub_cells": grid_module.SUB}
    blob = pack_index(header, {**arrays, **grid.arrays()})
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(blob)
    os.replace(partial, out)
    return len(blob)


def _print_overlaps(overlaps: list[Overlap], sovereign: dict[str, str | None]) -> None:
    small = 0
    print("overlapping claims (area in km², location, claimants -> winner, rule):")
    for o in sorted(overlaps, key=lambda o: len(o.claimants) == 1):
        if o.area_km2 < REPORT_MIN_KM2:
            small += 1
            continue
        one_owner = len({sovereign[a3] for a3 in o.claimants}) == 1 < len(o.claimants)
        same = " [same sovereign]" if one_owner else ""
        print(
            f"  {o.area_km2:>10.1f}  {o.lat:7.3f},{o.lon:8.3f}  "
            f"{'+'.join(o.claimants)} -> {o.winner}{same}  ({o.rule})"
        )
    print(f"  plus {small} slivers under {REPORT_MIN_KM2} km² along borders (smaller wins)")


def _count_overlaps(overlaps: list[Overlap]) -> None:
    shown = sum(1 for o in overlaps if o.area_km2 >= REPORT_MIN_KM2)
    print(
        f"  resolved {shown} overlapping claims and {len(overlaps) - shown} border slivers "
        "(--verbose lists them)"
    )


def build(out: Path, cache_dir: Path, tolerance: float, *, verbose: bool = False) -> None:
    """Run every step and print a summary; see the module docstring. With `verbose`,
    every overlapping claim and how it was resolved is listed."""
    started = time.perf_counter()

    def step(label: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {label}", flush=True)

    step(f"fetching {PACKAGE}@{VERSION} into {cache_dir}")
    tarball = fetch_tarball(cache_dir)
    step("reading GeoJSON")
    codes, raw = read_features(tarball)
    table = load_sovereignty()
    sovereign = {a3: sovereign_of(a3, table) for a3 in codes}
    if unused := sorted(set(table) - set(codes)):
        raise BuildError(f"{SOVEREIGNTY_TSV.name} lists codes absent from the data: {unused}")
    kept = [i for i, a3 in enumerate(codes) if sovereign[a3] is not None]
    dropped = sorted(set(codes) - {codes[i] for i in kept})
    codes = [codes[i] for i in kept]
    step(f"repairing {len(codes)} features (dropped, no sovereign airspace: {dropped})")
    geometries = np.array([polygonal(g) for g in raw[kept]], dtype=object)
    drawn = np.array([filled(g) for g in raw[kept]], dtype=object)
    step("noding all borders and resolving overlapping claims")
    faces, owners, overlaps = resolve_overlaps(codes, geometries, drawn)
    if verbose:
        _print_overlaps(overlaps, sovereign)
    else:
        _count_overlaps(overlaps)
    step(f"dissolving {len(faces)} faces per sovereign")
    face_sovereigns = [str(sovereign[codes[owner]]) for owner in owners]
    countries, merged = dissolve(faces, face_sovereigns)
    step(f"simplifying as one coverage (tolerance {tolerance}°)")
    simplified = simplify(merged, tolerance)
    check_disjoint(countries, simplified)
    overrides = "; ".join(why for _winner, why in OVERLAP_OVERRIDES.values())
    header = {
        "source": SOURCE,
        "tolerance_deg": tolerance,
        "simplification": "shapely.coverage_simplify (Visvalingam-Whyatt)",
        "overlap_policy": f"smaller feature wins; UN-position overrides: {overrides}",
        "built_with": {"shapely": shapely.__version__, "geos": shapely.geos_version_string},
    }
    step(f"computing the lookup grid and writing {out}")
    size = write_index(out, countries, simplified, header)
    load_started = time.perf_counter()
    Boundaries.load(out)
    load_s = time.perf_counter() - load_started
    vertices_in = int(shapely.get_num_coordinates(raw).sum())
    vertices_out = int(shapely.get_num_coordinates(simplified).sum())
    print(
        f"summary: {len(countries)} countries from {len(raw)} features; "
        f"vertices {vertices_in:,} -> {vertices_out:,}; {size / 1e6:.1f} MB; "
        f"build {time.perf_counter() - started:.1f} s; load {load_s:.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit status."""
    raw_help = argparse.RawDescriptionHelpFormatter  # keep the docstring's layout
    parser = argparse.ArgumentParser(
        "python -m service.locate.build", description=__doc__, formatter_class=raw_help
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="index file to write")
    parser.add_argument(
        "--cache-dir", type=Path, default=DEFAULT_CACHE, help="where the npm tarball is kept"
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE_DEG,
        help="coverage simplification tolerance in degrees (0: no simplification)",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list every overlapping claim resolved"
    )
    args = parser.parse_args(argv)
    try:
        build(args.out, args.cache_dir, args.tolerance, verbose=args.verbose)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
