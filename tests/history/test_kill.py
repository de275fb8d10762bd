"""Crash safety: `borderwatch run` killed with SIGKILL before its history writer wrote
anything loses no closed episode: the next start writes again what the store holds."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from service.history.writer import connect
from tests.runtime.support import RULES, TroyFeed, service_env, troy_lines
from tests.support.net import free_port
from tests.support.paths import ROOT
from tests.support.servers import Serve

TROY = "ae2fd0"


def write_config(
    path: Path, boundaries: Path, history: Path, redis_url: str, feed: str, port: int,
    flush_s: float,
) -> Path:  # fmt: skip
    path.write_text(
        json.dumps(
            {
                "boundaries": {"path": str(boundaries)},
                "store": {"redis_url": redis_url, "key_prefix": f"bwhist-{uuid.uuid4().hex[:8]}"},
                "feeds": [TroyFeed([]).config(feed)],
                "rules": [*RULES, {"id": "lost", "type": "signal_lost"}],
                "http": {"host": "127.0.0.1", "port": port},
                # Nothing is written before the kill: every row waits in the batch.
                "history": {
                    "path": str(history),
                    "flush_interval_s": flush_s,
                    "batch_rows": 1_000_000,
                },
            }
        )
    )
    return path


async def start(config: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", "--log-json", "run", "--config", str(config),
        cwd=ROOT, env=service_env(), stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def get(port: int, path: str) -> Any:
    """The JSON of GET `path`, or None while the service does not answer."""
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}{path}") as response,
        ):
            return await response.json() if response.status == 200 else None
    except aiohttp.ClientError:
        return None


def closed_episodes(history: Path) -> list[tuple[str, str, float, str]]:
    with connect(history, read_only=True) as con:
        found = con.execute(
            "SELECT hex, rule_id, end_time, ended FROM episodes "
            "WHERE end_time IS NOT NULL ORDER BY start"
        ).fetchall()
    return [tuple(row) for row in found]


@pytest.mark.timeout(300)
async def test_sigkill_loses_no_closed_episode(
    boundaries_path: Path, troy701_path: Path, redis_url: str, tmp_path: Path, serve: Serve
) -> None:
    lines = troy_lines(troy701_path, count=10**6)  # the whole day: the episode closes
    feed = TroyFeed(lines)
    base = await serve({"GET /data/aircraft.json": feed.handle})
    history, port = tmp_path / "history.duckdb", free_port()
    first_config = write_config(tmp_path / "a.yaml", boundaries_path, history, redis_url, base,
                                port, flush_s=3600)  # fmt: skip
    first = await start(first_config)
    try:
        async with asyncio.timeout(240):
            while True:  # until the store holds the closing notification
                found = await get(port, "/api/alerts?status=resolved&rule=foreign-airspace")
                if found and found["count"]:
                    break
                await asyncio.sleep(0.2)
        first.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(first.wait(), timeout=30) == -signal.SIGKILL
    finally:
        if first.returncode is None:
            first.kill()
            await first.wait()
    assert closed_episodes(history) == []  # the kill took the unwritten batch with it

    # The same store and file; nothing new from the feed (its last snapshot again).
    feed.lines = lines[-1:]
    feed.served = 0
    second_config = first_config.read_text().replace(
        '"flush_interval_s": 3600', '"flush_interval_s": 0.2'
    )
    config = tmp_path / "b.yaml"
    config.write_text(second_config)
    second = await start(config)
    try:
        async with asyncio.timeout(60):
            while True:
                found = await get(port, "/api/history/episodes?rule_type=foreign_airspace")
                if found and any(e["status"] == "closed" for e in found["episodes"]):
                    break
                await asyncio.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), timeout=30) == 0
    closed = closed_episodes(history)
    assert (TROY, "foreign-airspace") in [(hex_, rule) for hex_, rule, _, _ in closed]
    (episode,) = [row for row in closed if row[1] == "foreign-airspace"]
    assert episode[3] == "signal lost"
