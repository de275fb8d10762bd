"""Small spherical-earth helpers (mean earth radius; errors well under 0.5 %)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088
KM_PER_NM = 1.852
KT_TO_KMH = KM_PER_NM

FloatArray = npt.NDArray[np.float64]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle course from point 1 to point 2, degrees clockwise from north."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(x, y)) % 360.0


def distance_and_bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> tuple[float, float]:
    """`haversine_km` and `bearing_deg` of the same two points (the same figures), for
    per-point work that needs both: the trigonometry is shared."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    cos1, cos2 = math.cos(p1), math.cos(p2)
    a = math.sin((p2 - p1) / 2) ** 2 + cos1 * cos2 * math.sin(dl / 2) ** 2
    distance = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
    x = math.sin(dl) * cos2
    y = cos1 * math.sin(p2) - math.sin(p1) * cos2 * math.cos(dl)
    return distance, math.degrees(math.atan2(x, y)) % 360.0


def turn_deg(from_deg: float, to_deg: float) -> float:
    """Signed smallest turn from one heading to another, in (-180, 180]."""
    delta = (to_deg - from_deg) % 360.0
    return delta - 360.0 if delta > 180.0 else delta


def local_km(
    lat: FloatArray, lon: FloatArray, lat0: float, lon0: float
) -> tuple[FloatArray, FloatArray]:
    """Project points to a flat km grid centred on (lat0, lon0) (fine within ~100 km)."""
    kx, ky = _km_per_degree(lat0)
    dlon = (lon - lon0 + 180.0) % 360.0 - 180.0
    return dlon * kx, (lat - lat0) * ky


def local_km_of(lat: float, lon: float, lat0: float, lon0: float) -> tuple[float, float]:
    """`local_km` of one point, in floats (no arrays for a point followed one by one)."""
    kx, ky = _km_per_degree(lat0)
    return ((lon - lon0 + 180.0) % 360.0 - 180.0) * kx, (lat - lat0) * ky


def _km_per_degree(lat0: float) -> tuple[float, float]:
    """km per degree of longitude and of latitude at latitude `lat0`."""
    ky = math.radians(1.0) * EARTH_RADIUS_KM
    return ky * math.cos(math.radians(lat0)), ky


def format_latlon(lat: float, lon: float) -> str:
    """'19.19 N 100.13 W', the way analysts read a position."""
    ns = "N" if lat >= 0 else "S"
    ew = "E" if lon >= 0 else "W"
    return f"{abs(lat):.2f} {ns} {abs(lon):.2f} {ew}"
