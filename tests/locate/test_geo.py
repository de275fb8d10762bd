"""The spherical helpers: the shared-trigonometry distance and bearing are the very
figures of `haversine_km` and `bearing_deg` (the turning counted point by point must
match the turning of a stretch, which uses those)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from service.locate.geo import (
    bearing_deg,
    distance_and_bearing,
    haversine_km,
    local_km,
    local_km_of,
)

latitudes = st.floats(min_value=-90, max_value=90)
longitudes = st.floats(min_value=-180, max_value=180)


@given(latitudes, longitudes, latitudes, longitudes)
def test_distance_and_bearing_are_haversine_and_bearing(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    assert distance_and_bearing(lat1, lon1, lat2, lon2) == (
        haversine_km(lat1, lon1, lat2, lon2),
        bearing_deg(lat1, lon1, lat2, lon2),
    )


@given(latitudes, longitudes, latitudes, longitudes)
def test_local_km_of_one_point_is_local_km(
    lat: float, lon: float, lat0: float, lon0: float
) -> None:
    """A followed racetrack projects each point alone; the same figures as the look-back."""
    x, y = local_km(np.array([lat]), np.array([lon]), lat0, lon0)
    assert local_km_of(lat, lon, lat0, lon0) == (float(x[0]), float(y[0]))
