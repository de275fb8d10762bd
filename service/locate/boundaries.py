"""Point-in-country lookup and border depth over the prebuilt boundary index.

The index file (built by `service.locate.build`) holds one MultiPolygon per sovereign
State as flat numpy arrays in shapely's "ragged array" layout, behind a small JSON
header with codes, names, source and licence. Loading is a file read plus one
`shapely.from_ragged_array` call; nothing is parsed coordinate by coordinate.

Format 2 adds a two-level lookup grid (`service.locate.grid`), built with the index, so
most points are located by array indexing and only points near a border take the
exact polygon test; the answers are the same. Depth lives in `service.locate.depth`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import struct
import zlib
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely

from service.locate import grid as lookup_grid
from service.locate.depth import Segments, geodesic_km, wrap_lon
from service.models import Location

__all__ = ["Boundaries", "BoundariesError", "geodesic_km", "pack_index", "unpack_index"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MAGIC: Final = b"BWBOUND1"
GZIP_MAGIC: Final = b"\x1f\x8b"
FORMAT_VERSION: Final = 2  # 2: lookup grid arrays added
REBUILD_HINT: Final = (
    "run `make boundaries` (python -m service.locate.build --out var/boundaries.bin)"
)
# Arrays in the file: shapely.to_ragged_array's layout for MultiPolygons, then the grid.
ARRAY_NAMES: Final = (
    "coords",
    "ring_offsets",
    "polygon_offsets",
    "country_offsets",
    *lookup_grid.ARRAY_NAMES,
)


class BoundariesError(RuntimeError):
    """The boundary index is missing, unreadable or from an incompatible build."""


def pack_index(header: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]) -> bytes:
    """Serialise arrays behind a JSON header: MAGIC, u64 header length, header, payload.

    Each array starts on an 8-byte boundary so it can be mapped with `np.frombuffer`.
    The header records dtype, shape and offset of every array and a SHA-256 of the payload.
    """
    chunks: list[bytes] = []
    layout: dict[str, dict[str, Any]] = {}
    offset = 0
    for name in ARRAY_NAMES:
        array = np.ascontiguousarray(arrays[name])
        data = array.tobytes()
        layout[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
        padding = -len(data) % 8
        chunks.append(data + b"\0" * padding)
        offset += len(data) + padding
    payload = b"".join(chunks)
    digest = hashlib.sha256(payload).hexdigest()
    full_header = {**header, "format": FORMAT_VERSION, "arrays": layout, "payload_sha256": digest}
    header_bytes = json.dumps(full_header, ensure_ascii=False, sort_keys=True).encode()
    header_bytes += b" " * (-len(header_bytes) % 8)
    return MAGIC + struct.pack("<Q", len(header_bytes)) + header_bytes + payload


def unpack_index(blob: bytes, origin: str) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
    """Inverse of `pack_index`; raises BoundariesError naming `origin` on any inconsistency."""

    def fail(problem: str) -> BoundariesError:
        return BoundariesError(f"boundary index {origin} {problem}; {REBUILD_HINT}")

    if len(blob) < 16 or blob[:8] != MAGIC:
        raise fail("is not a borderwatch boundary index (bad magic)")
    (header_len,) = struct.unpack_from("<Q", blob, 8)
    payload_start = 16 + header_len
    try:
        header = json.loads(blob[16:payload_start])
    except ValueError as exc:
        raise fail(f"has an unreadable header ({exc})") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT_VERSION:
        raise fail(f"has format {header.get('format')!r}, expected {FORMAT_VERSION}")
    payload = memoryview(blob)[payload_start:]
    if hashlib.sha256(payload).hexdigest() != header.get("payload_sha256"):
        raise fail("is corrupt (payload checksum mismatch)")
    arrays: dict[str, npt.NDArray[Any]] = {}
    for name in ARRAY_NAMES:
        spec = header["arrays"][name]
        dtype = np.dtype(spec["dtype"])
        count = math.prod(spec["shape"])
        flat = np.frombuffer(payload, dtype=dtype, count=count, offset=spec["offset"])
        arrays[name] = flat.reshape(spec["shape"])
    return header, arrays


class Boundaries:
    """Sovereign airspace (land plus 12 nm territorial sea) of every country, in memory."""

    def __init__(self, header: dict[str, Any], arrays: dict[str, npt.NDArray[Any]]) -> None:
        """Build the runtime index from unpacked file contents; use `load` instead."""
        self.header = header
        countries = header["countries"]
        self._codes: list[str] = [country["code"] for country in countries]
        self._names: list[str] = [country["name"] for country in countries]
        self._index_by_code = {code: i for i, code in enumerate(self._codes)}
        self._coords: FloatArray = arrays["coords"]
        self._ring_offsets: IntArray = arrays["ring_offsets"]
        self._polygon_offsets: IntArray = arrays["polygon_offsets"]
        self._country_offsets: IntArray = arrays["country_offsets"]
        # One tree entry per polygon (not per country) keeps bounding boxes tight: a
        # country with overseas islands would otherwise cover half the globe.
        polygons = shapely.from_ragged_array(
            shapely.GeometryType.POLYGON, self._coords, (self._ring_offsets, self._polygon_offsets)
        )
        self._polygons = polygons
        self._polygon_country = np.repeat(
            np.arange(len(self._codes), dtype=np.int32), np.diff(self._country_offsets)
        )
        # Prepared polygons answer point queries through a cached edge index (built on
        # first use), about 100x faster than unprepared ones for large countries.
        shapely.prepare(polygons)
        self._tree = shapely.STRtree(polygons)
        self._segments: dict[int, Segments] = {}
        # Absent only while `service.locate.build` is computing the grid from this object.
        self._grid: lookup_grid.Grid | None = None
        if "grid_coarse" in arrays:
            self._grid = lookup_grid.Grid.from_arrays(arrays)

    @classmethod
    def load(cls, path: Path) -> Boundaries:
        """Read a boundary index written by `python -m service.locate.build`, as written
        or gzip-compressed (`gzip -n`).

        Raises BoundariesError, with the command that rebuilds the file, when the file is
        missing, truncated, corrupt or from another format version.
        """
        try:
            blob = Path(path).read_bytes()
            # A gzip-compressed index reads the same: the image ships one (31 MB -> 12 MB
            # on disk, about 0.3 s more to start).
            if blob[:2] == GZIP_MAGIC:
                blob = gzip.decompress(blob)
        except FileNotFoundError as exc:
            raise BoundariesError(f"boundary index {path} not found; {REBUILD_HINT}") from exc
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            message = f"boundary index {path} is corrupt ({exc!r}); {REBUILD_HINT}"
            raise BoundariesError(message) from exc
        except OSError as exc:
            raise BoundariesError(f"cannot read boundary index {path}: {exc}") from exc
        try:
            header, arrays = unpack_index(blob, str(path))
            return cls(header, arrays)
        except BoundariesError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            message = f"boundary index {path} is corrupt ({exc!r}); {REBUILD_HINT}"
            raise BoundariesError(message) from exc

    def __len__(self) -> int:
        """Number of countries in the index."""
        return len(self._codes)

    def locate_many(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> npt.NDArray[np.int32]:
        """Country index for each point (-1: no country, NaN or out-of-range latitude).

        Longitudes are wrapped into [-180, 180). A point exactly on a shared border gets
        the lower country index, so the answer is deterministic.
        """
        lat_arr = np.asarray(lat, dtype=np.float64)
        lon_arr = wrap_lon(np.asarray(lon, dtype=np.float64))
        if lat_arr.shape != lon_arr.shape:
            raise ValueError(f"lat shape {lat_arr.shape} != lon shape {lon_arr.shape}")
        result = np.full(lat_arr.shape, -1, dtype=np.int32)
        flat_result = result.reshape(-1)
        with np.errstate(invalid="ignore"):
            usable = np.flatnonzero(np.isfinite(lon_arr) & (np.abs(lat_arr) <= 90.0))
        x, y = lon_arr.reshape(-1)[usable], lat_arr.reshape(-1)[usable]
        if self._grid is None:
            flat_result[usable] = self.locate_exact(y, x)
            return result
        codes = self._grid.lookup(y, x)
        exact = np.flatnonzero(codes == lookup_grid.MIXED)
        codes[exact] = self.locate_exact(y[exact], x[exact])
        flat_result[usable] = codes
        return result

    def locate_exact(self, lat: FloatArray, lon: FloatArray) -> npt.NDArray[np.int32]:
        """`locate_many` by the polygon test alone, for finite points already wrapped.

        The lookup grid is built from, and must agree with, this function.
        """
        result = np.full(lat.shape, -1, dtype=np.int32)
        point_hit, polygon_hit = self._tree.query(shapely.points(lon, lat))
        inside = shapely.intersects_xy(self._polygons[polygon_hit], lon[point_hit], lat[point_hit])
        point_hit, country_hit = point_hit[inside], self._polygon_country[polygon_hit[inside]]
        if point_hit.size == 0:
            return result
        order = np.lexsort((country_hit, point_hit))
        points_sorted = point_hit[order]
        first = np.flatnonzero(np.r_[True, points_sorted[1:] != points_sorted[:-1]])
        result[points_sorted[first]] = country_hit[order][first]
        return result

    def build_grid(self) -> lookup_grid.Grid:
        """Compute the lookup grid of this index (done once, by the build)."""
        return lookup_grid.build_grid(self._coords, self._ring_offsets, self.locate_exact)

    def code(self, index: int) -> str:
        """ISO 3166-1 alpha-2 code of the sovereign (XK for Kosovo, EH for Western Sahara)."""
        return self._codes[index]

    def name(self, index: int) -> str:
        """English short name, e.g. "Mexico"."""
        return self._names[index]

    def index_of(self, code: str) -> int | None:
        """Country index for an alpha-2 code (case-insensitive), None when not present."""
        return self._index_by_code.get(code.upper())

    def geometry(self, index: int) -> Any:
        """The country's sovereign airspace footprint as a shapely MultiPolygon."""
        first, end = self._country_offsets[index : index + 2]
        return shapely.multipolygons(self._polygons[first:end])

    def depth_km(self, index: int, lat: float, lon: float) -> float:
        """Distance in km from the point to the nearest border of country `index`.

        The border includes coastal (12 nm) edges and edges around enclaves; the result
        is unsigned, so it is also the distance to the country for a point outside it.
        """
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise ValueError(f"depth_km needs a finite position, got ({lat}, {lon})")
        depth = self.depth_many(np.array([index]), np.array([lat]), np.array([lon]))
        return float(depth[0])

    def depth_many(
        self, indexes: npt.ArrayLike, lat: npt.ArrayLike, lon: npt.ArrayLike
    ) -> FloatArray:
        """`depth_km` over arrays of (country index, lat, lon), vectorised per country."""
        index_arr = np.asarray(indexes, dtype=np.int64)
        lat_arr = np.asarray(lat, dtype=np.float64)
        lon_arr = (np.asarray(lon, dtype=np.float64) + 180.0) % 360.0 - 180.0
        if not (np.isfinite(lat_arr).all() and np.isfinite(lon_arr).all()):
            raise ValueError("depth_many needs finite positions")
        result = np.full(index_arr.shape, np.nan)
        for index in np.unique(index_arr).tolist():
            rows = np.flatnonzero(index_arr == index)
            result[rows] = self.segments(index).depth_many(lat_arr[rows], lon_arr[rows])
        return result

    def warm_up(self, borders: bool = True) -> None:
        """Build now every index the lookups would otherwise build on first use: the
        border segments of each country (for depths; with `borders`) and the point
        index of each prepared polygon. A service calls this before its first poll, so
        that no poll pays for them (about 1.5 s on one core, and some 780 MiB for the
        borders of all countries).
        """
        for index in range(len(self) if borders else 0):
            self.segments(index)
        centres = shapely.centroid(self._polygons)
        x, y = shapely.get_x(centres), shapely.get_y(centres)
        # GEOS answers a prepared polygon's first point query unindexed and builds its
        # point-location index on the second: ask twice.
        for _ in range(2):
            shapely.intersects_xy(self._polygons, x, y)

    @property
    def countries_indexed(self) -> int:
        """How many countries have their border segments built so far."""
        return len(self._segments)

    def segments(self, index: int) -> Segments:
        """The border of country `index` as indexed segments (built on first use)."""
        return self._segments.get(index) or self._build_segments(index)

    def _build_segments(self, index: int) -> Segments:
        first_polygon, end_polygon = self._country_offsets[index : index + 2]
        first_ring, end_ring = self._polygon_offsets[[first_polygon, end_polygon]]
        segments = Segments.from_rings(self._coords, self._ring_offsets[first_ring : end_ring + 1])
        self._segments[index] = segments
        return segments

    def locate(self, lat: float, lon: float) -> Location:
        """Whose sovereign airspace holds the point, and how deep inside it is."""
        index = int(self.locate_many(np.array([lat]), np.array([lon]))[0])
        if index < 0:
            return Location(None, None, None)
        return Location(self.code(index), self.name(index), self.depth_km(index, lat, lon))
