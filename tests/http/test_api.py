"""The read API, health routes and bearer token, every exchange checked against
docs/openapi.yaml (tests/http/openapi_check.py); and the store methods behind them, over
MemoryStore and RedisStore.

The app is built as `borderwatch run` builds it and fed snapshots directly: TROY701
opens a foreign-airspace episode in Mexico and falls silent (resolved), a second CBP
aircraft opens one that stays open.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from service.app import App, build_app
from service.feeds.status import FeedStatus
from service.http import build_http_app
from service.http.auth import token_matches
from service.http.context import CONTEXT_KEY
from service.models import Position, Snapshot
from service.runtime.heartbeat import record_notifications
from service.settings import Settings
from service.store import MemoryStore, RedisStore, Store
from tests.http.openapi_check import get
from tests.support.clock import FakeClock

T0 = 1_755_081_600.0  # 2025-08-13 10:40 UTC
TOKEN = "s3cret-token"


def cbp(hex_: str, registration: str, t: float, lat: float) -> Position:
    """A US CBP aircraft (registration ^CBP-, military flag) in Mexico, heading south."""
    return Position(
        hex=hex_, time=t, lat=lat, lon=-101.0, alt_ft=23000, gs_kt=220.0, track_deg=180.0,
        callsign="TROY701" if hex_ == "ae2fd0" else "OMAHA12", registration=registration,
        type_code="Q9", db_flags=1, source="test",
    )  # fmt: skip


async def feed_story(app: App) -> None:
    """TROY701 inside Mexico for 5 min then silent; AE1234 inside and still heard."""
    for minute in range(12):
        now = T0 + 60 * minute
        positions = [cbp("ae1234", "CBP-114", now, 25.0 - 0.02 * minute)]
        if minute < 5:
            positions.append(cbp("ae2fd0", "CBP-113", now, 24.0 - 0.05 * minute))
        produced = await app.pipeline.process(Snapshot(now=now, positions=positions), "test")
        await record_notifications(app, produced)


def settings_for(boundaries: Path, redis_url: str | None, token: str | None) -> Settings:
    return Settings.model_validate(
        {
            "boundaries": {"path": str(boundaries)},
            "store": {"redis_url": redis_url, "key_prefix": "bwapitest"},
            "feeds": [
                {"name": "good", "kind": "adsbx", "url": "http://127.0.0.1:9/v2/mil"},
                {"name": "bad", "kind": "adsbx", "url": "http://127.0.0.1:9/v2/mil"},
            ],
            "rules": [
                {
                    "id": "foreign-airspace",
                    "type": "foreign_airspace",
                    "resolve_after_silent_s": 120,
                }
            ],
            "http": {"api_token": token},
        }
    )


@pytest.fixture(params=["memory", "redis"])
def backend(request: pytest.FixtureRequest) -> str | None:
    """None for the in-process store, else the flushed test Redis URL."""
    if request.param == "memory":
        return None
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
async def served(
    boundaries_path: Path, backend: str | None
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """A test client on the HTTP app of a fed service (no token)."""
    async with serving(boundaries_path, backend, None) as client:
        yield client


@contextlib.asynccontextmanager
async def serving(
    boundaries: Path, backend: str | None, token: str | None
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """A test client on the HTTP app of a service fed the story; feed "good" is fresh,
    feed "bad" has failed three times."""
    app = await build_app(settings_for(boundaries, backend, token))
    await feed_story(app)
    feeds = {"good": FeedStatus(name="good", last_success=time.time()), "bad": FeedStatus()}
    feeds["bad"].consecutive_failures = 3
    client = TestClient(TestServer(build_http_app(app, feeds)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
        await app.close()


async def test_alerts_newest_first_and_filtered(
    served: TestClient[web.Request, web.Application],
) -> None:
    every = await get(served, "/api/alerts")
    alerts = every["alerts"]
    assert every["count"] == len(alerts) == 4
    assert [(a["aircraft"]["hex"], a["kind"]) for a in alerts] == [
        ("ae2fd0", "resolved"),
        ("ae1234", "update"),
        ("ae2fd0", "opened"),
        ("ae1234", "opened"),
    ]
    troy = await get(served, "/api/alerts?hex=AE2FD0")
    assert {a["aircraft"]["hex"] for a in troy["alerts"]} == {"ae2fd0"}
    assert troy["count"] == 2
    resolved = await get(served, "/api/alerts?status=resolved")
    assert [a["aircraft"]["hex"] for a in resolved["alerts"]] == ["ae2fd0"]
    assert (await get(served, "/api/alerts?country=mx"))["count"] == 4
    assert (await get(served, "/api/alerts?country=CA"))["count"] == 0
    assert (await get(served, "/api/alerts?rule=foreign-airspace&limit=1"))["count"] == 1
    assert (await get(served, "/api/alerts?rule=loiter"))["count"] == 0
    newest = alerts[0]["at"]
    assert (await get(served, f"/api/alerts?since={newest}"))["count"] >= 1
    assert (await get(served, f"/api/alerts?since={T0 + 3600:.0f}"))["count"] == 0


@pytest.mark.parametrize(
    ("query", "names"),
    [("status=open", "status"), ("since=yesterday", "since"), ("limit=0", "limit")],
)
async def test_alerts_rejects_bad_parameters(
    served: TestClient[web.Request, web.Application], query: str, names: str
) -> None:
    body = await get(served, f"/api/alerts?{query}", status=400)
    assert body["error"] == "bad_request"
    assert names in body["detail"]


async def test_episodes_lists_only_open_ones(
    served: TestClient[web.Request, web.Application],
) -> None:
    body = await get(served, "/api/episodes")
    assert body["count"] == 1
    (episode,) = body["episodes"]
    assert episode["aircraft"]["hex"] == "ae1234"
    assert episode["status"] == "firing"
    assert episode["area"]["country"] == "MX"


async def test_aircraft_state_and_track(served: TestClient[web.Request, web.Application]) -> None:
    body = await get(served, "/api/aircraft/AE1234?points=5")
    assert body["hex"] == "ae1234"
    assert body["registration"] == "CBP-114"
    assert body["state"] == "US"
    assert body["airspace"] == {"country": "MX", "name": "Mexico", "abroad": True}
    assert body["open_rules"] == ["foreign-airspace"]
    assert len(body["track"]) == 5
    assert body["track"][-1] == body["position"]
    assert body["track_points"] >= 5
    await get(served, "/api/aircraft/abcdef", status=404)
    await get(served, "/api/aircraft/nothex", status=400)


async def test_sources_report_live_status(served: TestClient[web.Request, web.Application]) -> None:
    body = await get(served, "/api/sources")
    by_name = {source["name"]: source for source in body["sources"]}
    assert by_name["good"]["fresh"] is True
    assert by_name["bad"]["fresh"] is False
    assert by_name["bad"]["consecutive_failures"] == 3
    assert "url" not in by_name["good"]  # a feed URL may carry a key


async def test_health_routes(served: TestClient[web.Request, web.Application]) -> None:
    assert await get(served, "/healthz") == {"status": "ok"}
    assert await get(served, "/readyz") == {"ready": True, "problems": []}


async def test_readyz_names_each_problem(
    boundaries_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving(boundaries_path, None, None) as client:
        app = client.app
        context = app[CONTEXT_KEY]
        context.feeds["good"].last_success = None

        async def silent() -> bool:
            return False

        monkeypatch.setattr(context.app.store, "ping", silent)
        body = await get(client, "/readyz", status=503)
    assert body["problems"] == ["store not answering", "no feed answered recently"]


async def test_bearer_token_guards_the_api_only(boundaries_path: Path) -> None:
    async with serving(boundaries_path, None, TOKEN) as client:
        for path in ("/api/alerts", "/api/episodes", "/api/sources", "/api/candidates"):
            response = await client.get(path)
            assert response.status == 401, path
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            wrong = await client.get(path, headers={"Authorization": "Bearer nope"})
            assert wrong.status == 401
            right = await client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
            assert right.status == 200, path
        body = await get(client, "/api/alerts", status=401)
        assert body["error"] == "unauthorized"
        for open_path in ("/healthz", "/readyz", "/metrics"):
            assert (await client.get(open_path)).status == 200, open_path


def test_token_matching() -> None:
    assert token_matches(f"Bearer {TOKEN}", TOKEN)
    assert token_matches(f"bearer {TOKEN}", TOKEN)
    assert not token_matches(None, TOKEN)
    assert not token_matches(TOKEN, TOKEN)
    assert not token_matches(f"Basic {TOKEN}", TOKEN)
    assert not token_matches(f"Bearer {TOKEN}x", TOKEN)


async def test_candidates_match_the_contract(boundaries_path: Path) -> None:
    async with serving(boundaries_path, None, None) as client:
        app = client.app
        pipeline = app[CONTEXT_KEY].app.pipeline
        # GAF881: a German Air Force callsign designator alone is weak evidence.
        weak = Position("3c4b26", T0 + 3600, 50.0, 8.0, callsign="GAF881", source="test")
        await pipeline.process(Snapshot(now=T0 + 3600, positions=[weak]), "test")
        body = await get(client, "/api/candidates")
    assert [c["hex"] for c in body["candidates"]] == ["3c4b26"]


# The store methods behind the API, one suite over both implementations.


@pytest.fixture
async def store(backend: str | None) -> AsyncIterator[Store]:
    opened: Store = MemoryStore() if backend is None else RedisStore(backend, prefix="bwapitest")
    yield opened
    await opened.close()


def payload(fingerprint: str, n: int) -> bytes:
    return msgspec.json.encode({"fingerprint": fingerprint, "n": n})


async def test_store_keeps_recent_notifications_newest_first(store: Store) -> None:
    assert await store.recent_notifications(10) == []
    for n in range(5):
        await store.record_notification(f"e{n % 2}", payload(f"e{n % 2}", n),
                                        resolved=False, keep=3, ttl_s=60)  # fmt: skip
    recent = [msgspec.json.decode(raw)["n"] for raw in await store.recent_notifications(10)]
    assert recent == [4, 3, 2]
    assert len(await store.recent_notifications(2)) == 2
    assert await store.recent_notifications(0) == []


async def test_store_open_episodes_follow_the_latest_notification(store: Store) -> None:
    await store.record_notification("a", payload("a", 0), resolved=False, keep=10, ttl_s=60)
    await store.record_notification("b", payload("b", 0), resolved=False, keep=10, ttl_s=60)
    await store.record_notification("a", payload("a", 1), resolved=False, keep=10, ttl_s=60)
    episodes = await store.open_episodes()
    assert {k: msgspec.json.decode(v)["n"] for k, v in episodes.items()} == {"a": 1, "b": 0}
    await store.record_notification("a", payload("a", 2), resolved=True, keep=10, ttl_s=60)
    await store.record_notification("b", payload("b", 1), resolved=True, keep=10, ttl_s=60)
    assert await store.open_episodes() == {}
    assert len(await store.recent_notifications(10)) == 5


async def test_store_heartbeat_set_read_cleared(store: Store) -> None:
    assert await store.get_heartbeat() is None
    await store.heartbeat(b'{"pid": 1}', ttl_s=30)
    assert await store.get_heartbeat() == b'{"pid": 1}'
    await store.clear_heartbeat()
    assert await store.get_heartbeat() is None
    with pytest.raises(ValueError):
        await store.heartbeat(b"x", ttl_s=0)


async def test_heartbeat_expires(backend: str | None) -> None:
    """The liveness key carries its TTL (memory: gone once a fake clock passes it)."""
    if backend is None:
        clock = FakeClock(100.0)
        memory = MemoryStore(clock=clock)
        await memory.heartbeat(b"x", ttl_s=30)
        clock.advance(29.9)
        assert await memory.get_heartbeat() == b"x"
        clock.advance(0.1)
        assert await memory.get_heartbeat() is None
        return
    import redis.asyncio as aioredis

    redis_store = RedisStore(backend, prefix="bwapitest")
    raw = aioredis.Redis.from_url(backend)
    try:
        await redis_store.heartbeat(b"x", ttl_s=30)
        ttl = await raw.ttl(redis_store.keys.alive)
        assert 0 < ttl <= 30
    finally:
        await raw.aclose()
        await redis_store.close()
