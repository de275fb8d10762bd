"""Links in every notification: configured once (`links:`), filled in per aircraft with
feed text URL-quoted, and the same in the webhook payload, Slack and Discord, delivered
by a replay to local receivers."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
from aiohttp import web

from service.alerts.links import fill
from service.alerts.payload import AircraftRef, LinkRef, PositionRef
from service.cli.replay import replay
from service.deliver import discord, slack
from service.deliver.text import links
from service.settings import DEFAULT_CONFIG, Settings, load_settings
from service.settings.links import Link
from tests.deliver.test_chat import EXAMPLE, slack_texts, typed
from tests.support.servers import Serve

TAR1090 = "http://192.168.1.20/tar1090/?icao={hex}&cs={callsign}"
HOSTILE_CALLSIGN = "X/../?a=b#|)(<@U1> [y](z)\n@everyone"


def aircraft(callsign: str | None = "TROY701", registration: str | None = None) -> AircraftRef:
    return AircraftRef(
        hex="AE2FD0", callsign=callsign, registration=registration, type=None, state="US",
        category="government",
    )  # fmt: skip


POSITION = PositionRef(
    time="2025-08-13T08:38:30Z", lat=29.263721, lon=-100.93392, alt_ft=None, gs_kt=None,
    track_deg=None,
)  # fmt: skip


def test_fill_quotes_every_value_as_one_component() -> None:
    templates = [
        Link(label="tar1090", url=TAR1090),
        Link(label="map", url="https://m.example/{registration}?ll={lat},{lon}"),
    ]
    filled = fill(templates, aircraft(HOSTILE_CALLSIGN, "N1 2/3"), POSITION)
    assert filled[0].url == (
        "http://192.168.1.20/tar1090/?icao=ae2fd0&cs="
        "X%2F..%2F%3Fa%3Db%23%7C%29%28%3C%40U1%3E%20%5By%5D%28z%29%0A%40everyone"
    )
    assert filled[1].url == "https://m.example/N1%202%2F3?ll=29.26372,-100.93392"
    # An unknown callsign or registration is empty, never "None".
    assert fill(templates, aircraft(None), POSITION)[0].url.endswith("&cs=")
    assert fill(templates[1:], aircraft(None), POSITION)[0].url.startswith("https://m.example/?")


def with_links(payload: dict[str, Any], filled: list[LinkRef]) -> dict[str, Any]:
    return {**payload, "links": [msgspec.to_builtins(link) for link in filled]}


def test_hostile_feed_text_cannot_break_the_link_markup() -> None:
    filled = fill([Link(label="tar1090", url=TAR1090)], aircraft(HOSTILE_CALLSIGN), POSITION)
    payload = typed(with_links(EXAMPLE, filled))
    url = filled[0].url
    assert not re.search(r"[\s|<>()\[\]]", url)
    context = slack.message([payload])["blocks"][3]["elements"][0]["text"]
    assert f"<{url}|tar1090>" in context
    assert re.findall(r"<[^>]*>", context) == [f"<{url}|tar1090>"]  # the only link
    (embed,) = discord.message([payload], with_map=False)["embeds"]
    assert embed["fields"][-1] == {"name": "Track", "value": f"[tar1090]({url})", "inline": False}


def test_payloads_without_links_get_the_default_trackers_and_none_is_none() -> None:
    old = typed({k: v for k, v in EXAMPLE.items() if k != "links"})  # from an older sender
    assert links(old) == [
        ("ADS-B Exchange", "https://globe.adsbexchange.com/?icao=ae2fd0"),
        ("adsb.lol", "https://globe.adsb.lol/?icao=ae2fd0"),
    ]
    none = typed({**EXAMPLE, "links": []})  # `links: []` in the configuration
    assert links(none) == []
    assert "http" not in slack.message([none])["blocks"][3]["elements"][0]["text"]
    (embed,) = discord.message([none], with_map=False)["embeds"]
    assert all(field["name"] != "Track" for field in embed["fields"])


def settings(boundaries_path: Path, receivers: list[dict[str, Any]], **extra: Any) -> Settings:
    base = load_settings(DEFAULT_CONFIG, environ={})
    raw = base.model_dump(mode="json", exclude={"receivers", "store", "http", "feeds", "links"})
    raw.update(boundaries={"path": str(boundaries_path)}, receivers=receivers, **extra)
    return Settings.model_validate(raw)


async def test_default_links_in_every_replayed_payload(
    boundaries_path: Path, troy701_path: Path
) -> None:
    out = io.StringIO()
    await replay(settings(boundaries_path, []), str(troy701_path), deliver=False, out=out)
    payloads = [json.loads(line) for line in out.getvalue().splitlines()]
    assert payloads
    for payload in payloads:
        hex_ = payload["aircraft"]["hex"]
        assert payload["links"] == [
            {"label": "ADS-B Exchange", "url": f"https://globe.adsbexchange.com/?icao={hex_}"},
            {"label": "adsb.lol", "url": f"https://globe.adsb.lol/?icao={hex_}"},
        ]


async def test_a_tar1090_link_reaches_webhook_slack_and_discord(
    boundaries_path: Path, troy701_path: Path, serve: Serve
) -> None:
    bodies: dict[str, list[Any]] = {"hook": [], "slack": [], "discord": []}

    async def hook(request: web.Request) -> web.Response:
        bodies["hook"].append(await request.json())
        return web.Response(status=204)

    async def slack_hook(request: web.Request) -> web.Response:
        bodies["slack"].append(await request.json())
        return web.Response(text="ok")

    async def discord_hook(request: web.Request) -> web.Response:
        async for part in await request.multipart():
            assert isinstance(part, aiohttp.BodyPartReader)
            bodies["discord"].append(json.loads(await part.read()))
        return web.Response(status=204)

    base = await serve(
        {"POST /hook": hook, "POST /slack": slack_hook, "POST /discord": discord_hook}
    )
    receivers: list[dict[str, Any]] = [
        {"name": "hook", "url": f"{base}/hook", "signing": "none"},
        {"name": "slack", "type": "slack", "url": f"{base}/slack"},
        {"name": "discord", "type": "discord", "url": f"{base}/discord", "attach_map": False},
    ]
    config = settings(boundaries_path, receivers, links=[{"label": "tar1090", "url": TAR1090}])
    await replay(config, str(troy701_path), deliver=True, out=io.StringIO())

    mine = "http://192.168.1.20/tar1090/?icao=ae2fd0&cs=TROY701"
    troy = [p for p in bodies["hook"] if p["aircraft"]["hex"] == "ae2fd0"]
    assert troy and all(p["links"] == [{"label": "tar1090", "url": mine}] for p in troy)
    texts = [t for message in bodies["slack"] for t in slack_texts(message)]
    assert any(f"<{mine}|tar1090>" in text for text in texts)
    fields = [f for m in bodies["discord"] for e in m["embeds"] for f in e["fields"]]
    assert {"name": "Track", "value": f"[tar1090]({mine})", "inline": False} in fields
    everything = json.dumps(bodies)
    assert "adsbexchange" not in everything and "adsb.lol" not in everything
