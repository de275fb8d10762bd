"""docs/openapi.yaml cannot drift from the server: the routes `borderwatch run` registers
are exactly the documented operations, and the documented security (bearer token on
/api/, a configured token for changes) is what the server does. Response bodies of
each route are checked against the document where the route is tested
(tests/http/openapi_check.py)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from service.app import build_app
from service.http import build_http_app
from service.settings import Settings
from tests.http.openapi_check import DOCUMENT, METHODS, call

TOKEN = "openapi-t0ken"
PATHS: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text())["paths"]
OPERATIONS = sorted(
    (method, path) for path, item in PATHS.items() for method in item if method in METHODS
)
API = [(method, path) for method, path in OPERATIONS if path.startswith("/api/")]
WRITES = [(method, path) for method, path in API if method != "get"]
OPEN = ["/healthz", "/metrics", "/readyz"]


@contextlib.asynccontextmanager
async def serving(
    boundaries: Path, token: str | None
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """A test client on the HTTP app `borderwatch run` builds (memory store, no feeds)."""
    settings = Settings.model_validate(
        {"boundaries": {"path": str(boundaries)}, "http": {"api_token": token}}
    )
    app = await build_app(settings)
    client = TestClient(TestServer(build_http_app(app, {})))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
        await app.close()


def concrete(path: str) -> str:
    """`path` with its `{parameters}` filled in (auth is decided before any handler)."""
    return re.sub(r"\{[^}]+\}", "0123456789abcdef0123456789abcdef", path)


async def test_every_registered_route_is_documented_and_vice_versa(
    boundaries_path: Path,
) -> None:
    async with serving(boundaries_path, None) as client:
        assert client.app is not None
        router = client.app.router
        # add_get also answers HEAD; HEAD is not documented separately.
        registered = {
            (route.method.lower(), route.resource.canonical)
            for route in router.routes()
            if route.resource is not None and route.method != "HEAD"
        }
    assert registered, "no routes registered"
    assert sorted(registered - set(OPERATIONS)) == [], "registered but not documented"
    assert sorted(set(OPERATIONS) - registered) == [], "documented but not registered"


def test_documented_security_matches_the_server_rules() -> None:
    """Open routes say `security: []`; reads inherit the optional bearer token; changes
    require it (the server refuses them without a configured token)."""
    assert sorted({path for _, path in OPERATIONS if not path.startswith("/api/")}) == OPEN
    for method, path in OPERATIONS:
        operation = PATHS[path][method]
        responses = set(operation["responses"])
        if path in OPEN:
            assert operation.get("security") == [], (method, path)
            assert "401" not in responses, (method, path)
            continue
        assert "401" in responses, (method, path)
        if (method, path) in WRITES:
            assert operation.get("security") == [{"bearer": []}], (method, path)
            assert "403" in responses, (method, path)
        else:
            assert "security" not in operation, (method, path)
            assert "403" not in responses, (method, path)


@pytest.mark.parametrize(("method", "path"), API)
async def test_every_api_route_needs_the_token_when_one_is_set(
    boundaries_path: Path, method: str, path: str
) -> None:
    async with serving(boundaries_path, TOKEN) as client:
        body = await call(client, method, concrete(path), status=401)
        wrong = {"Authorization": "Bearer not-the-token"}
        await call(client, method, concrete(path), status=401, headers=wrong)
    assert body["error"] == "unauthorized"


@pytest.mark.parametrize(("method", "path"), WRITES)
async def test_changes_are_refused_without_a_configured_token(
    boundaries_path: Path, method: str, path: str
) -> None:
    async with serving(boundaries_path, None) as client:
        body = await call(client, method, concrete(path), status=403)
    assert body["error"] == "forbidden"


async def test_open_routes_match_the_document(boundaries_path: Path) -> None:
    async with serving(boundaries_path, TOKEN) as client:
        metrics = await call(client, "get", "/metrics")
        assert b"borderwatch_" in metrics
        assert await call(client, "get", "/healthz") == {"status": "ok"}
        ready = await call(client, "get", "/readyz")
    assert ready == {"ready": True, "problems": []}
