"""Cover a latitude/longitude box with query circles of at most 250 nm.

The ADSBx-style APIs clamp `/v2/point` radii to 250 nm (adsb.lol api_v2.py, adsb.fi
and airplanes.live docs), so a larger area must be tiled. Cells of a regular grid are
each covered by the circle through their corners; the grid is refined until every
such circle fits the limit.
"""

from __future__ import annotations

import math

from service.settings.feeds import QueryBox, QueryCircle

__all__ = ["MAX_RADIUS_NM", "haversine_nm", "tile_box"]

MAX_RADIUS_NM = 250.0
_EARTH_RADIUS_NM = 3440.065
# Tile circles are rounded up to this step so URLs stay short and stable.
_ROUND_NM = 0.1


def haversine_nm(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in nautical miles."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_NM * math.asin(min(1.0, math.sqrt(a)))


def tile_box(box: QueryBox, max_radius_nm: float = MAX_RADIUS_NM) -> list[QueryCircle]:
    """Circles (radius <= max_radius_nm) whose union covers the whole box."""
    rows = 1
    while True:
        circles = _grid(box, rows, max_radius_nm)
        if circles is not None:
            return circles
        rows += 1


def _grid(box: QueryBox, rows: int, limit: float) -> list[QueryCircle] | None:
    lat_step = (box.lat_max - box.lat_min) / rows
    circles: list[QueryCircle] = []
    for row in range(rows):
        south = box.lat_min + row * lat_step
        north = south + lat_step
        # The widest part of the row (nearest the equator) decides the column count.
        widest = 0.0 if south <= 0.0 <= north else min(abs(south), abs(north))
        row_height_nm = lat_step * 60.0
        if row_height_nm / 2 >= limit:
            return None
        half_width_nm = math.sqrt(limit**2 - (row_height_nm / 2) ** 2) * 0.98
        width_deg_nm = 60.0 * max(math.cos(math.radians(widest)), 1e-6)
        cols = max(1, math.ceil((box.lon_max - box.lon_min) * width_deg_nm / (2 * half_width_nm)))
        lon_step = (box.lon_max - box.lon_min) / cols
        for col in range(cols):
            west = box.lon_min + col * lon_step
            lat, lon = (south + north) / 2, west + lon_step / 2
            radius = max(
                haversine_nm(lat, lon, corner_lat, corner_lon)
                for corner_lat in (south, north)
                for corner_lon in (west, west + lon_step)
            )
            radius = math.ceil(radius / _ROUND_NM) * _ROUND_NM
            if radius > limit:
                return None
            circles.append(QueryCircle(lat=round(lat, 4), lon=round(lon, 4), radius_nm=radius))
    return circles
