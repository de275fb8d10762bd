"""Routing on the TROY701 story: which receiver gets which notification, queued in the
outbox atomically with the claim, and nothing queued when a replay only prints."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from PIL import Image

from service.app import build_app
from service.cli.replay import replay
from service.pipeline import replay as replay_recording
from service.settings import DEFAULT_CONFIG, Settings, load_settings
from tests.support.servers import Serve


def settings(boundaries_path: Path, receivers: list[dict[str, object]]) -> Settings:
    base = load_settings(DEFAULT_CONFIG, environ={})
    raw = base.model_dump(mode="json", exclude={"receivers", "store", "http", "feeds"})
    raw["boundaries"] = {"path": str(boundaries_path)}
    raw["receivers"] = receivers
    return Settings.model_validate(raw)


async def queued(
    config: Settings, recording: Path, *, deliver: bool
) -> Counter[tuple[str, str, str]]:
    app = await build_app(config, deliver=deliver)
    try:
        async for _ in replay_recording(app.pipeline, recording):
            pass
        pending = await app.store.outbox_pending()
    finally:
        await app.close()
    return Counter((i.receiver, i.rule, i.kind) for i in pending)


async def test_routes_by_rule_severity_country_and_resolved(
    boundaries_path: Path, troy701_path: Path
) -> None:
    receivers: list[dict[str, object]] = [
        {"name": "all", "url": "http://127.0.0.1:9/a", "signing": "none"},
        {"name": "loiter", "type": "slack", "url": "http://127.0.0.1:9/b",
         "route": {"rules": ["loiter"]}, "send_resolved": False},
        {"name": "canada", "type": "discord", "url": "http://127.0.0.1:9/c",
         "route": {"countries": ["CA"]}},
        {"name": "critical", "url": "http://127.0.0.1:9/d", "signing": "none",
         "route": {"severities": ["critical"]}},
        {"name": "off", "type": "slack"},  # no url: disabled
    ]  # fmt: skip
    config = settings(boundaries_path, receivers)
    found = await queued(config, troy701_path, deliver=True)
    everything = {k: v for k, v in found.items() if k[0] == "all"}
    assert sum(everything.values()) == 11  # the whole story (README)
    assert {(rule, kind): n for (name, rule, kind), n in found.items() if name == "loiter"} == {
        ("loiter", "opened"): 1,
        ("loiter", "update"): 3,
    }
    assert not any(name in ("canada", "critical", "off") for name, _, _ in found)
    # Printing a replay queues nothing.
    assert await queued(config, troy701_path, deliver=False) == Counter()


async def test_replay_deliver_to_discord_attaches_rendered_maps(
    boundaries_path: Path, troy701_path: Path, serve: Serve
) -> None:
    messages: list[tuple[dict[str, Any], bytes | None]] = []

    async def discord_hook(request: web.Request) -> web.Response:
        payload, png = None, None
        async for part in await request.multipart():
            assert isinstance(part, aiohttp.BodyPartReader)
            if part.name == "payload_json":
                payload = json.loads(await part.read())
            else:
                png = bytes(await part.read())
        assert payload is not None
        messages.append((payload, png))
        return web.Response(status=204)

    url = f"{await serve({'POST /discord': discord_hook})}/discord"
    config = settings(boundaries_path, [{"name": "d", "type": "discord", "url": url}])
    await replay(config, str(troy701_path), deliver=True, out=io.StringIO())
    embeds = [embed for payload, _ in messages for embed in payload["embeds"]]
    assert len(embeds) == 11  # every notification, some grouped per aircraft
    for payload, png in messages:
        assert payload["allowed_mentions"] == {"parse": []}
        assert png is not None and Image.open(io.BytesIO(png)).size == (800, 520)
