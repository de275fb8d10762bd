"""What `borderwatch run` exposes: loopback by default, never an open API on another
address by accident, and no client can hold a connection with slow headers or a
trickled body."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from service.runtime import run_service
from service.settings import DEFAULT_CONFIG, ConfigError, Settings, load_settings
from tests.support.net import free_port


def test_the_default_listens_on_loopback_only() -> None:
    assert load_settings(DEFAULT_CONFIG, environ={}).http.host == "127.0.0.1"
    assert Settings().http.host == "127.0.0.1"


@pytest.mark.parametrize(
    ("env", "allowed"),
    [
        ({"BORDERWATCH_HTTP_HOST": "0.0.0.0"}, False),
        ({"BORDERWATCH_HTTP_HOST": "::"}, False),
        ({"BORDERWATCH_HTTP_HOST": "0.0.0.0", "BORDERWATCH_API_TOKEN": "t0ken"}, True),
        ({"BORDERWATCH_HTTP_HOST": "0.0.0.0", "BORDERWATCH_HTTP_PUBLIC": "true"}, True),
        ({"BORDERWATCH_HTTP_HOST": "::1"}, True),
        ({"BORDERWATCH_HTTP_HOST": "localhost"}, True),
    ],
)
def test_another_address_needs_a_token_or_public(env: dict[str, str], allowed: bool) -> None:
    if allowed:
        load_settings(DEFAULT_CONFIG, environ=env)
        return
    with pytest.raises(ConfigError, match="opens the API to the network: set api_token"):
        load_settings(DEFAULT_CONFIG, environ=env)


@pytest.fixture
async def service(boundaries_path: Path) -> AsyncIterator[int]:
    port = free_port()
    settings = Settings.model_validate(
        {
            "boundaries": {"path": str(boundaries_path)},
            "http": {
                "port": port,
                "header_timeout_s": 0.5,
                "request_timeout_s": 0.5,
                "api_token": "t0ken",
            },
        }
    )
    stop, started = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_service(settings, stop, started))
    await asyncio.wait_for(started.wait(), timeout=30)
    yield port
    stop.set()
    assert await asyncio.wait_for(task, timeout=30) == 0


async def test_slow_headers_are_cut_off(service: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", service)
    began = time.monotonic()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never the blank line
    await writer.drain()
    async with asyncio.timeout(10):
        assert await reader.read() == b""  # the server hung up
    assert time.monotonic() - began < 5
    writer.close()


async def test_a_trickled_body_gets_408(service: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", service)
    writer.write(
        b"POST /api/silences HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken\r\n"
        b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"rule"'
    )
    await writer.drain()
    async with asyncio.timeout(10):
        status = await reader.readline()
    assert status.startswith(b"HTTP/1.1 408"), status
    writer.close()
