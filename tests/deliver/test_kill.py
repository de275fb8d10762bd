"""Durability: `borderwatch replay --deliver` on real Redis, killed with SIGKILL while a
delivery is in flight, then run again: every notification arrives, none twice."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import sys
import uuid
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
import yaml
from aiohttp import web

from service.cli.replay import replay
from service.deliver.signing import verify
from service.settings import DEFAULT_CONFIG, load_settings
from service.store.keys import KeySpace
from tests.support.paths import ROOT
from tests.support.servers import Serve

SECRET = "whsec-kill"


async def expected_ids(boundaries_path: Path, recording: Path) -> list[str]:
    """The notification ids the recording produces (in memory, nothing delivered)."""
    base = load_settings(DEFAULT_CONFIG, environ={})
    boundaries = base.boundaries.model_copy(update={"path": boundaries_path})
    out = io.StringIO()
    await replay(base.model_copy(update={"boundaries": boundaries}), str(recording),
                 deliver=False, out=out)  # fmt: skip
    return [json.loads(line)["id"] for line in out.getvalue().splitlines()]


def write_config(
    tmp_path: Path, boundaries_path: Path, redis_url: str, url: str, prefix: str
) -> Path:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    # A short delivery lease: the run after the SIGKILL takes over from the dead one soon.
    raw["store"] = {"redis_url": redis_url, "key_prefix": prefix, "delivery_lease_ttl_s": 3}
    raw["boundaries"] = {"path": str(boundaries_path)}
    raw["feeds"] = []
    raw["receivers"] = [
        {"name": "hook", "type": "webhook", "url": url, "secret": SECRET, "backoff_max_s": 1}
    ]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


async def run_cli(config: Path, recording: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BORDERWATCH_")}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service", "--log-json", "replay", str(recording),
        "--config", str(config), "--deliver",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def test_sigkill_mid_delivery_then_restart_delivers_everything_once(
    boundaries_path: Path, troy701_path: Path, redis_url: str, tmp_path: Path, serve: Serve
) -> None:
    expected = await expected_ids(boundaries_path, troy701_path)
    assert len(expected) >= 10
    bodies: dict[str, set[bytes]] = {}
    accepted: list[str] = []  # ids answered 2xx, in arrival order
    hanging, release = asyncio.Event(), asyncio.Event()
    phase = {"kill_at": 4}

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        stamp = request.headers["X-Borderwatch-Timestamp"]
        assert verify(SECRET.encode(), stamp, request.headers["X-Borderwatch-Signature"],
                      body, now=float(stamp))  # fmt: skip
        id_ = request.headers["X-Borderwatch-Id"]
        bodies.setdefault(id_, set()).add(body)
        if len(accepted) >= phase["kill_at"]:
            # Hold this request until the sender is dead; it never gets an answer.
            hanging.set()
            await release.wait()
            return web.Response(status=503)
        accepted.append(id_)
        return web.Response(status=204)

    base = await serve({"POST /hook": hook})
    prefix = f"bwkill-{uuid.uuid4().hex[:8]}"
    config = write_config(tmp_path, boundaries_path, redis_url, f"{base}/hook", prefix)
    try:
        first = await run_cli(config, troy701_path)
        await asyncio.wait_for(hanging.wait(), timeout=120)
        first.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(first.wait(), timeout=30) == -signal.SIGKILL
        release.set()
        keys = KeySpace(prefix)
        client = aioredis.Redis.from_url(redis_url)
        try:
            left = await client.zcard(keys.outbox_queue)
        finally:
            await client.aclose()
        assert left > 0  # the killed run left work in the outbox, durably
        phase["kill_at"] = 10**6
        second = await run_cli(config, troy701_path)
        assert await asyncio.wait_for(second.wait(), timeout=180) == 0
    finally:
        release.set()

    assert len(accepted) == len(set(accepted)), "an id was accepted twice"
    assert sorted(accepted) == sorted(expected)
    # A retried request is the same notification byte for byte (same id, same body).
    assert all(len(variants) == 1 for variants in bodies.values())
    # Within each episode the notifications arrived in order.
    payloads: dict[str, Any] = {id_: json.loads(next(iter(b))) for id_, b in bodies.items()}
    seen: dict[str, int] = {}
    for id_ in accepted:
        fingerprint, sequence = payloads[id_]["fingerprint"], payloads[id_]["sequence"]
        assert sequence > seen.get(fingerprint, -1)
        seen[fingerprint] = sequence
