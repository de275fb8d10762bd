"""Start-up warm-up: what the first poll would build lazily is built before it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from service.app import build_app, warm_up
from service.locate import Boundaries
from service.models import Position, Snapshot
from service.settings import Settings

T0 = 1_755_081_600.0


async def test_warm_up_builds_every_country_index_and_the_first_snapshot_builds_none(
    boundaries_path: Path,
) -> None:
    settings = Settings.model_validate(
        {
            "boundaries": {"path": str(boundaries_path)},
            "rules": [{"id": "foreign-airspace", "type": "foreign_airspace"}],
        }
    )
    app = await build_app(settings)
    try:
        assert app.boundaries.countries_indexed == 0  # built lazily until warmed up
        warmed = warm_up(app)
        assert warmed.countries == len(app.boundaries) == app.boundaries.countries_indexed
        assert warmed.airports > 1000
        # A US military aircraft over Mexico: its depth is measured from the warm index.
        mexico = Position("ae1234", T0, 19.19, -100.13, callsign="RCH123", db_flags=1)
        await app.pipeline.process(Snapshot(now=T0, positions=[mexico]))
        assert app.boundaries.countries_indexed == len(app.boundaries)
        tracked = app.fleet.get("ae1234")
        assert tracked is not None and tracked.track.last is not None
        assert tracked.track.last.depth_km is not None
    finally:
        await app.close()


def test_warm_indexes_answer_as_the_lazily_built_ones(boundaries_path: Path) -> None:
    warm, cold = Boundaries.load(boundaries_path), Boundaries.load(boundaries_path)
    warm.warm_up()
    rng = np.random.default_rng(13)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, 2_000)))
    lon = rng.uniform(-180.0, 180.0, 2_000)
    located = warm.locate_many(lat, lon)
    assert np.array_equal(located, cold.locate_many(lat, lon))
    inside = np.flatnonzero(located >= 0)
    np.testing.assert_array_equal(
        warm.depth_many(located[inside], lat[inside], lon[inside]),
        cold.depth_many(located[inside], lat[inside], lon[inside]),
    )
