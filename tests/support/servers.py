"""The one family of local servers the tests talk to: real sockets on 127.0.0.1.

- `http_server(routes)`: an aiohttp server answering `{"GET /path": handler, ...}`;
  yields its base URL (`http://127.0.0.1:<port>`). Feeds, webhook receivers, Slack and
  Discord stand-ins are all written as routes on it.
- `serve` (a fixture, tests/conftest.py): start any number of them inside a test;
  they are all closed when it ends.
- `tcp_server(handler)`: a raw TCP server (the SBS feed); yields the asyncio server.

A handler held open by a test (a receiver that never answers) cannot delay teardown by
more than `SHUTDOWN_S`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# "GET /v2/mil", "POST /hook/{token}": method, a space, an aiohttp route path.
Routes = Mapping[str, Handler]
Serve = Callable[[Routes], Awaitable[str]]
StreamHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Any]

SHUTDOWN_S = 0.5


async def start_http(routes: Routes, *, port: int = 0) -> tuple[web.AppRunner, str]:
    """Start a server; (its runner, for cleanup, and its base URL)."""
    app = web.Application()
    for key, handler in routes.items():
        method, _, path = key.partition(" ")
        app.router.add_route(method, path, handler)
    runner = web.AppRunner(app, shutdown_timeout=SHUTDOWN_S, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@asynccontextmanager
async def http_server(routes: Routes, *, port: int = 0) -> AsyncIterator[str]:
    """A local HTTP server for the body of the `async with`; yields its base URL."""
    runner, base = await start_http(routes, port=port)
    try:
        yield base
    finally:
        await runner.cleanup()


@asynccontextmanager
async def serving() -> AsyncIterator[Serve]:
    """`start(routes) -> base URL`, as often as needed; every server stops at the end."""
    runners: list[web.AppRunner] = []

    async def start(routes: Routes) -> str:
        runner, base = await start_http(routes)
        runners.append(runner)
        return base

    try:
        yield start
    finally:
        for runner in runners:
            await runner.cleanup()


@asynccontextmanager
async def tcp_server(handler: StreamHandler, *, port: int = 0) -> AsyncIterator[asyncio.Server]:
    """A local TCP server calling `handler` per connection; `port_of` tells its port."""
    server = await asyncio.start_server(handler, "127.0.0.1", port)
    try:
        yield server
    finally:
        server.close()
        await server.wait_closed()


def port_of(server: asyncio.Server) -> int:
    """The port a local TCP server listens on."""
    return int(server.sockets[0].getsockname()[1])
