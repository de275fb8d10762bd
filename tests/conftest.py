"""Shared fixtures: a real Redis server, the built boundary index, the TROY701 recording,
the shared development data."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp.web_app
import pytest

from service.pipeline import heap
from service.settings.model import TOWNS_FILE
from tests.support.net import free_port
from tests.support.paths import FEEDS, ROOT, TRACKS, require
from tests.support.redis import private_redis
from tests.support.servers import Serve, serving

__all__ = ["private_redis"]  # fixtures defined beside their helpers

REDIS_HOST = "127.0.0.1"
REDIS_PORT = int(os.environ.get("BORDERWATCH_TEST_REDIS_PORT", "6379"))
# A service run by a test (in this process or a child) that names no history file
# writes one of this test process's own, never var/history.duckdb of the checkout.
os.environ["BORDERWATCH_HISTORY"] = str(
    Path(tempfile.mkdtemp(prefix="borderwatch-history-")) / "history.duckdb"
)
# Each test flushes this database; parallel runs on one server pick different ones.
REDIS_DB = int(os.environ.get("BORDERWATCH_TEST_REDIS_DB", "15"))
# The services and commands tests run in this process leave its garbage collector as it
# is (service/pipeline/heap.py): a heap frozen by the first of them would keep every
# reference cycle of the tests before it for the rest of the session.
heap._settled = True


@pytest.fixture(autouse=True)
def _release_http_apps() -> Iterator[None]:
    """Let each test's aiohttp Application go when the test ends.

    aiohttp memoises every handler's middleware chain by the Applications it ran in (an
    lru_cache of 1,024 entries), which kept each test's Application alive, and with it
    the service App and its warmed border indexes: the suite's process grew to 8-11 GB.
    A running service has one Application, so the cache costs it nothing."""
    yield
    cache = getattr(aiohttp.web_app, "_cached_build_middleware", None)
    if cache is not None:
        cache.cache_clear()


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A Redis URL; starts `redis-server` on a free port when 127.0.0.1:6379 is silent."""
    if _answers(REDIS_HOST, REDIS_PORT):
        yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("no Redis answers on 127.0.0.1:6379 and redis-server is not installed")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="borderwatch-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", REDIS_HOST, "--save", "", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not _answers(REDIS_HOST, port):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("redis-server did not start")
        time.sleep(0.05)
    try:
        yield f"redis://{REDIS_HOST}:{port}/{REDIS_DB}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
async def redis_url(redis_server: str) -> AsyncIterator[str]:
    """The test Redis database, flushed before each test."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_server)
    await client.flushdb()
    await client.aclose()
    yield redis_server


@pytest.fixture
def backend_url(request: pytest.FixtureRequest) -> str | None:
    """For tests parametrised with `store` in ("memory", "redis"): the flushed test Redis
    URL on Redis runs, else None (memory runs need no Redis).

    Synchronous because an async fixture cannot pull another async fixture lazily."""
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("store") == "redis":
        return str(request.getfixturevalue("redis_url"))
    return None


@pytest.fixture(scope="session")
def boundaries_path() -> Path:
    """The boundary index, and the towns file beside it, built on first use (the same
    commands `make boundaries` runs)."""
    path = Path(os.environ.get("BORDERWATCH_BOUNDARIES", ROOT / "var" / "boundaries.bin"))
    towns = path.with_name(TOWNS_FILE)
    for builder, out in (("build", path), ("build_towns", towns)):
        if not out.exists():
            subprocess.run(
                [sys.executable, "-m", f"service.locate.{builder}", "--out", str(out)],
                cwd=ROOT,
                check=True,
            )
    return path


@pytest.fixture(scope="session")
def troy701_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The TROY701 demo recording, generated by the script in demo/."""
    out = tmp_path_factory.mktemp("recordings") / "troy701.jsonl.gz"
    subprocess.run(
        [sys.executable, str(ROOT / "demo" / "troy701.py"), "--out", str(out)],
        cwd=ROOT,
        check=True,
    )
    return out


@pytest.fixture
def feed_captures() -> Path:
    """The real captured feed responses (../shared/data/feeds)."""
    require(FEEDS.is_dir(), f"real feed captures not found at {FEEDS}")
    return FEEDS


@pytest.fixture
def track_recordings() -> Path:
    """The labelled development recordings (../shared/data/tracks)."""
    require((TRACKS / "labels.json").is_file(), f"development tracks not found at {TRACKS}")
    return TRACKS


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """`await serve({"GET /path": handler, ...})` starts a local HTTP server and returns
    its base URL; every server started this way stops when the test ends."""
    async with serving() as start:
        yield start
