"""Start-up warm-up: what the first poll would build lazily is built before it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from aiohttp import web

from service.alerts.notification import Notification
from service.app import build_app, warm_up
from service.locate import Boundaries
from service.models import Position, Snapshot
from service.pipeline import Pipeline
from service.runtime import run_service
from service.settings import Settings
from tests.runtime.test_service import adsbx_response
from tests.support.feeds import RECORDING_AS_LIVE
from tests.support.net import free_port
from tests.support.servers import Serve

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


async def test_without_the_border_warm_up_each_country_is_built_on_its_first_aircraft(
    boundaries_path: Path,
) -> None:
    settings = Settings.model_validate(
        {
            "boundaries": {"path": str(boundaries_path), "warm_up": False},
            "rules": [{"id": "foreign-airspace", "type": "foreign_airspace"}],
        }
    )
    app = await build_app(settings)
    try:
        warmed = warm_up(app)
        assert warmed.countries == 0 and warmed.airports > 1000
        mexico = Position("ae1234", T0, 19.19, -100.13, callsign="RCH123", db_flags=1)
        await app.pipeline.process(Snapshot(now=T0, positions=[mexico]))
        assert app.boundaries.countries_indexed == 1  # Mexico's, for the depth
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


async def test_the_service_builds_the_indexes_and_settles_the_heap_before_its_first_snapshot(
    boundaries_path: Path, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    indexed_at_process: list[int] = []
    processed = asyncio.Event()
    process = Pipeline.process
    events: list[str] = []

    async def watched(
        self: Pipeline, snapshot: Snapshot, source: str = "replay"
    ) -> list[Notification]:
        indexed_at_process.append(self.locate.boundaries.countries_indexed)
        events.append("processed")
        processed.set()
        return await process(self, snapshot, source)

    monkeypatch.setattr(Pipeline, "process", watched)

    def settle() -> bool:
        events.append("settled")
        return True

    monkeypatch.setattr("service.runtime.service.settle_heap", settle)

    async def feed(_: web.Request) -> web.Response:
        return web.json_response(adsbx_response(1))

    base = await serve({"GET /v2/mil": feed})
    settings = Settings.model_validate(
        {
            "boundaries": {"path": str(boundaries_path)},
            "feeds": [
                {"name": "local", "kind": "adsbx", "url": f"{base}/v2/mil", "interval_s": 1,
                 **RECORDING_AS_LIVE},
            ],
            "http": {"host": "127.0.0.1", "port": free_port()},
        }
    )  # fmt: skip
    stop = asyncio.Event()
    service = asyncio.create_task(run_service(settings, stop))
    try:
        await asyncio.wait_for(processed.wait(), timeout=60)
    finally:
        stop.set()
        assert await asyncio.wait_for(service, timeout=30) == 0
    every_country = len(Boundaries.load(boundaries_path))
    assert indexed_at_process[0] == every_country
    assert events[:2] == ["settled", "processed"]  # once, before the first snapshot
