"""Locate stage: whose sovereign airspace (land plus 12 nm territorial sea) holds a point.

`Boundaries.load(path)` reads the index built by `python -m service.locate.build`
(`make boundaries`); `locate_many` answers a whole snapshot at once and `depth_km`
measures how far inside a country a point is. Data: @geo-maps/countries-maritime-10m,
© OpenStreetMap contributors, ODbL 1.0 (see docs/boundaries.md).
"""

from service.locate.boundaries import Boundaries, BoundariesError

__all__ = ["Boundaries", "BoundariesError"]
