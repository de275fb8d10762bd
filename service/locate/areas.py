"""User areas: named GeoJSON polygons that rules can be limited to (`areas` in the config).

Each area is one GeoJSON file holding a FeatureCollection, a Feature or a bare
geometry, all Polygon or MultiPolygon, in WGS84 longitude/latitude. The features of a
file are merged into one area. Coordinates are taken as plate carrée, like the country
boundaries: an area that crosses the antimeridian must be split into two polygons at
±180°. A point on an area's edge is inside it.

Files are checked when the configuration is loaded; any problem raises AreaError
naming the file and the feature.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.errors import GEOSException

_POLYGONAL = ("Polygon", "MultiPolygon")


class AreaError(ValueError):
    """An area file is missing, not GeoJSON, or not valid polygons."""


@dataclass(frozen=True, slots=True)
class Area:
    """One named area: a valid (Multi)Polygon in lon/lat degrees."""

    name: str
    geometry: Any  # shapely geometry, prepared for repeated point tests


def _geometries(document: Any, path: Path) -> list[tuple[str, Any]]:
    """(label, GeoJSON geometry) pairs of a FeatureCollection, Feature or geometry."""
    if not isinstance(document, dict):
        raise AreaError(f"{path}: a GeoJSON object is expected at the top level")
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list) or not features:
            raise AreaError(f"{path}: the FeatureCollection has no features")
        found = []
        for i, feature in enumerate(features):
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise AreaError(f"{path}: features[{i}] is not a GeoJSON Feature")
            found.append((f"features[{i}]", feature.get("geometry")))
        return found
    if kind == "Feature":
        return [("the feature", document.get("geometry"))]
    if kind in _POLYGONAL:
        return [("the geometry", document)]
    raise AreaError(
        f"{path}: GeoJSON type {kind!r}; expected FeatureCollection, Feature or Polygon"
    )


def read_area(name: str, path: Path) -> Area:
    """Read and check one area file; raise AreaError naming the file on any problem."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise AreaError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except ValueError as exc:  # JSON and Unicode errors
        raise AreaError(f"{path}: not valid JSON ({exc})") from exc
    parts = []
    for label, geometry in _geometries(document, path):
        if not isinstance(geometry, dict) or geometry.get("type") not in _POLYGONAL:
            kind = geometry.get("type") if isinstance(geometry, dict) else geometry
            raise AreaError(f"{path}: {label} has geometry {kind!r}, not Polygon or MultiPolygon")
        try:
            shape = shapely.from_geojson(json.dumps(geometry))
        except GEOSException as exc:
            raise AreaError(f"{path}: {label} is not valid GeoJSON geometry ({exc})") from exc
        if shape.is_empty:
            raise AreaError(f"{path}: {label} is empty")
        if not shapely.is_valid(shape):
            reason = shapely.is_valid_reason(shape)
            raise AreaError(f"{path}: {label} is not a valid polygon ({reason})")
        west, south, east, north = shapely.bounds(shape).tolist()
        if west < -180 or east > 180 or south < -90 or north > 90:
            raise AreaError(f"{path}: {label} has coordinates outside lon ±180 / lat ±90")
        parts.append(shape)
    merged = shapely.union_all(parts)
    shapely.prepare(merged)
    return Area(name=name, geometry=merged)


class Areas:
    """A few named areas, tested together against a batch of points."""

    def __init__(self, areas: Sequence[Area] = ()) -> None:
        """Index `areas` (names must be unique)."""
        self.names = tuple(area.name for area in areas)
        if len(set(self.names)) != len(self.names):
            raise AreaError(f"area names repeat: {', '.join(self.names)}")
        self._geometries = [area.geometry for area in areas]
        # One tuple per combination of areas seen: every track point holding it shares
        # it (a followed aircraft keeps hours of points, each with its names).
        self._shared: dict[tuple[bool, ...], tuple[str, ...]] = {}

    @classmethod
    def load(cls, entries: Iterable[tuple[str, Path]]) -> Areas:
        """Read every (name, path) with `read_area`."""
        return cls([read_area(name, path) for name, path in entries])

    def __bool__(self) -> bool:
        return bool(self.names)

    def contains_many(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """(points, areas) matrix: whether each point lies in each area (edges inside).

        Longitudes are wrapped into [-180, 180); NaN coordinates are in no area.
        """
        lat_arr = np.asarray(lat, dtype=np.float64).reshape(-1)
        lon_arr = (np.asarray(lon, dtype=np.float64).reshape(-1) + 180.0) % 360.0 - 180.0
        inside = np.zeros((lat_arr.size, len(self.names)), dtype=np.bool_)
        for column, geometry in enumerate(self._geometries):
            inside[:, column] = shapely.intersects_xy(geometry, lon_arr, lat_arr)
        return inside

    def names_at(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> list[tuple[str, ...]]:
        """For each point, the names of the areas holding it (in configuration order)."""
        inside = self.contains_many(lat, lon)
        if not self.names:
            return [()] * inside.shape[0]
        shared = self._shared
        held: list[tuple[str, ...]] = []
        for row in map(tuple, inside.tolist()):
            names = shared.get(row)
            if names is None:
                names = shared[row] = tuple(
                    name for name, hit in zip(self.names, row, strict=True) if hit
                )
            held.append(names)
        return held
