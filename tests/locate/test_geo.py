"""The spherical helpers: the shared-trigonometry distance and bearing are the very
figures of `haversine_km` and `bearing_deg` (the turning counted point by point must
match the turning of a stretch, which uses those)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service.locate.geo import bearing_deg, distance_and_bearing, haversine_km

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
