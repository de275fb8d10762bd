"""The locate stage in the pipeline: the airspace of every selected position.

One vectorised pass over the snapshot's selected positions finds the sovereign airspace
and the configured user areas of each; the depth inside a country is measured only
where a rule may alert on it, outside the aircraft's own state.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from service.locate.areas import Areas
from service.locate.boundaries import Boundaries
from service.locate.nearby import NearbyBorders
from service.models import Airspace, Identity, Position


class Locator:
    """Places positions in sovereign airspace and user areas."""

    def __init__(self, boundaries: Boundaries, areas: Areas) -> None:
        self.boundaries = boundaries
        self.areas = areas
        self.nearby_borders = NearbyBorders(boundaries)

    def locate(self, selected: Sequence[tuple[Position, Identity]]) -> list[Airspace]:
        """The airspace of each (position, identity), in order."""
        if not selected:
            return []
        count = len(selected)
        lat = np.fromiter((p.lat for p, _ in selected), dtype=np.float64, count=count)
        lon = np.fromiter((p.lon for p, _ in selected), dtype=np.float64, count=count)
        indexes = self.boundaries.locate_many(lat, lon)
        in_areas = self.areas.names_at(lat, lon) if self.areas else [()] * count
        code = self.boundaries.code
        countries = [code(index) if index >= 0 else None for index in indexes.tolist()]
        # Depth is only needed where a rule may alert: outside the home state.
        abroad = [
            row
            for row, (country, (_, identity)) in enumerate(zip(countries, selected, strict=True))
            if country is not None and country != identity.state
        ]
        depths: list[float | None] = [None] * count
        if abroad:
            hexes = [selected[row][0].hex for row in abroad]
            measured = self.nearby_borders.depths(hexes, indexes[abroad], lat[abroad], lon[abroad])
            for row, depth_km in zip(abroad, measured.tolist(), strict=True):
                depths[row] = depth_km
        return [
            Airspace(country, depth, areas)
            for country, depth, areas in zip(countries, depths, in_areas, strict=True)
        ]

    def forget(self, hex_: str) -> None:
        """Drop what is cached for an aircraft the fleet forgot."""
        self.nearby_borders.forget(hex_)
