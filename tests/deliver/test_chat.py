"""Slack and Discord messages: within their documented limits, hostile feed text
neutralised, and delivered through the outbox to local receivers (Discord with the map
attached as a multipart file)."""

from __future__ import annotations

import copy
import io
import json
import math
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp import web
from PIL import Image
from pydantic import SecretStr

from service.alerts.payload import Payload, decode
from service.deliver import discord, slack
from service.deliver.outbox import OutboxWorker
from service.locate import Boundaries
from service.metrics import Metrics
from service.render.map import MapSpec, render_png
from service.render.maps import spec_for
from service.settings.receivers import DiscordReceiver, Receiver, SlackReceiver
from service.store import MemoryStore, StoreError
from service.store.records import OutboxItem
from tests.support.paths import ROOT
from tests.support.servers import http_server

README = (ROOT / "README.md").read_text()
_EXAMPLE_MATCH = re.search(r"```json\n(.*?)```", README, re.S)
assert _EXAMPLE_MATCH is not None
EXAMPLE: dict[str, Any] = json.loads(_EXAMPLE_MATCH[1])
HOSTILE_UNIT = (
    "*@everyone* <!channel> <@U0123> @here [click](https://evil.example) "
    "`x` ~~s~~ ||sp|| # h _i_ > q "
)
HOSTILE = (HOSTILE_UNIT * 120)[:10_000]  # 10 kB of markup and mentions


def hostile_payload(sequence: int = 0) -> dict[str, Any]:
    payload = copy.deepcopy(EXAMPLE)
    payload["aircraft"]["callsign"] = HOSTILE
    payload["aircraft"]["registration"] = "<@U999>&" + HOSTILE[:500]
    payload["aircraft"]["type"] = "<@U999>&"
    payload["summary"] = f"US government aircraft {HOSTILE} entered Mexico airspace."
    payload["sequence"] = sequence
    payload["id"] = f"id-{sequence}"
    return payload


def typed(payload: dict[str, Any]) -> Payload:
    """The payload as the channels get it from the outbox."""
    return decode(json.dumps(payload).encode())


def slack_texts(message: dict[str, Any]) -> list[str]:
    texts = [message["text"]]
    for block in message["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [f["text"] for f in block.get("fields", [])]
        texts += [e["text"] for e in block.get("elements", [])]
    return texts


@pytest.mark.parametrize("count", [1, 3, 8])
def test_slack_message_within_limits_and_neutralised(count: int) -> None:
    message = slack.message([typed(hostile_payload(i)) for i in range(count)])
    blocks = message["blocks"]
    assert len(blocks) <= 50
    assert blocks[0]["type"] == "header" and len(blocks[0]["text"]["text"]) <= 150
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
        if "fields" in block:
            assert len(block["fields"]) <= 10
            assert all(len(f["text"]) <= 2000 for f in block["fields"])
    assert len(message["text"]) <= 3000
    for text in slack_texts(message):
        # Only our own tracker links may open an angle bracket: no <!channel>, <@U..>.
        for token in re.findall(r"<[^>]*>", text):
            assert token.startswith("<https://globe.adsb"), token
        assert "<!" not in text and "<@" not in text
    joined = "\n".join(slack_texts(message))
    assert "&lt;!channel&gt;" in message["text"]  # the mrkdwn fallback: entities
    assert "‹!channel›" in joined and "‹@U999›&" in joined  # plain_text: look-alikes
    for block in blocks:  # feed text never lands where mrkdwn is parsed
        for element in block.get("elements", []):
            assert "everyone" not in element["text"] and "evil" not in element["text"]
        for text in [block.get("text", {}), *block.get("fields", [])]:
            assert not text or text["type"] == "plain_text"
    assert "https://globe.adsbexchange.com/?icao=ae2fd0" in joined
    assert "https://globe.adsb.lol/?icao=ae2fd0" in joined


@pytest.mark.parametrize("count", [1, 4, 10])
def test_discord_message_within_limits_and_neutralised(count: int) -> None:
    message = discord.message([typed(hostile_payload(i)) for i in range(count)], with_map=True)
    assert message["allowed_mentions"] == {"parse": []}
    embeds = message["embeds"]
    assert 1 <= len(embeds) <= 10
    assert sum(discord.size(e) for e in embeds) <= 6000
    for embed in embeds:
        assert len(embed["title"]) <= 256 and len(embed["description"]) <= 4096
        assert len(embed["fields"]) <= 25 and len(embed["footer"]["text"]) <= 2048
        assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1024 for f in embed["fields"])
        feed_text = [embed["title"], embed["description"]] + [
            f["value"] for f in embed["fields"] if f["name"] != "Track"
        ]
        for text in feed_text:
            assert "@everyone" not in text and "@here" not in text
            assert "[click](" not in text
            assert not re.search(r"(?<!\\)[<\[]", text)  # no live mention or link syntax
            # Every markup character from the feed is backslash-escaped.
            assert not re.search(r"(?<!\\)[*`~|]", text.replace("·", "")), text[:80]
    assert embeds[0]["image"] == {"url": "attachment://map.png"}
    track = embeds[0]["fields"][-1]
    assert track["name"] == "Track" and "(https://globe.adsb.lol/?icao=ae2fd0)" in track["value"]


def test_summary_reads_first_for_ordinary_text() -> None:
    (embed,) = discord.message([typed(EXAMPLE)], with_map=False)["embeds"]
    assert embed["description"].startswith("US government aircraft TROY701 \\(CBP\\-113, Q9\\)")
    assert embed["title"].startswith("FIRING foreign\\-airspace \\#0")
    section = slack.message([typed(EXAMPLE)])["blocks"][1]["text"]["text"]
    assert "TROY701 (CBP-113, Q9) entered Mexico airspace" in section


def chat_item(receiver: str, sequence: int, payload: dict[str, Any]) -> OutboxItem:
    return OutboxItem(
        receiver=receiver,
        id=payload["id"],
        fingerprint=payload["fingerprint"],
        sequence=sequence,
        kind=payload["kind"],
        rule="foreign-airspace",
        hex="ae2fd0",
        country="MX",
        payload=msgspec.Raw(json.dumps(payload).encode()),
        at=0.0,
        enqueued_at=time.time(),
    )


@pytest.fixture
async def chat_server() -> AsyncIterator[tuple[str, list[tuple[str, Any, bytes | None]]]]:
    received: list[tuple[str, Any, bytes | None]] = []

    async def slack_hook(request: web.Request) -> web.Response:
        received.append(("slack", await request.json(), None))
        return web.Response(text="ok")

    async def discord_hook(request: web.Request) -> web.Response:
        reader = await request.multipart()
        payload, png = None, None
        async for part in reader:
            assert isinstance(part, aiohttp.BodyPartReader)
            if part.name == "payload_json":
                payload = json.loads(await part.read())
            elif part.name == "files[0]":
                assert part.filename == "map.png"
                png = bytes(await part.read())
        received.append(("discord", payload, png))
        return web.Response(status=204)

    async with http_server({"POST /slack": slack_hook, "POST /discord": discord_hook}) as base:
        yield base, received


async def test_outbox_delivers_slack_and_discord_grouped_by_aircraft(
    chat_server: tuple[str, list[tuple[str, Any, bytes | None]]],
) -> None:
    base, received = chat_server
    png = render_png(MapSpec(track=[(29.3, -100.9), (29.0, -100.8)], title="test"))
    store = MemoryStore()
    payloads = [dict(hostile_payload(i), fingerprint=f"ep{i}") for i in range(3)]
    for i, payload in enumerate(payloads):
        items = [chat_item(name, i, payload) for name in ("slack", "discord")]
        assert await store.claim_notification(payload["id"], ttl_s=60, outbox=items)
    receivers: list[Receiver] = [
        SlackReceiver(name="slack", type="slack", url=SecretStr(f"{base}/slack")),
        DiscordReceiver(name="discord", type="discord", url=SecretStr(f"{base}/discord")),
    ]

    async def draw_map(item: OutboxItem) -> bytes:
        return png

    async with aiohttp.ClientSession() as session:
        worker = OutboxWorker(
            store, session, receivers, Metrics(), sent_ttl_s=60, draw_map=draw_map
        )
        assert await worker.drain(timeout_s=10) == 0
    kinds = sorted(kind for kind, _, _ in received)
    assert kinds == ["discord", "slack"]  # three notifications of one aircraft: one message each
    for kind, message, attachment in received:
        if kind == "discord":
            assert len(message["embeds"]) == 3 and attachment == png
            assert message["allowed_mentions"] == {"parse": []}
        else:
            assert sum(b["type"] == "divider" for b in message["blocks"]) == 3


class DoneFailsOnce(MemoryStore):
    """Marking the second entry of a delivered group done fails once (the store went
    away between two writes)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def outbox_done(self, item: OutboxItem, *, sent_ttl_s: int, sent: bool = True) -> None:
        self.calls += 1
        if self.calls == 2:
            raise StoreError("redis at redis://x: outbox_done failed: ConnectionError")
        await super().outbox_done(item, sent_ttl_s=sent_ttl_s, sent=sent)


async def test_a_delivered_group_is_never_sent_again_when_the_store_fails_midway(
    chat_server: tuple[str, list[tuple[str, Any, bytes | None]]],
) -> None:
    base, received = chat_server
    store = DoneFailsOnce()
    for i in range(3):
        payload = dict(hostile_payload(i), fingerprint=f"ep{i}")
        assert await store.claim_notification(
            payload["id"], ttl_s=60, outbox=[chat_item("slack", i, payload)]
        )
    receivers: list[Receiver] = [
        SlackReceiver(name="slack", type="slack", url=SecretStr(f"{base}/slack"))
    ]
    async with aiohttp.ClientSession() as session:
        worker = OutboxWorker(store, session, receivers, Metrics(), sent_ttl_s=60)
        assert await worker.drain(timeout_s=10) == 0
    assert store.calls == 4  # 1 done, 1 failed; the next pass records the other 2
    assert [kind for kind, _, _ in received] == ["slack"]  # one message, sent once
    assert worker.unrecorded == {}


async def test_an_unreadable_payload_is_buried_alone_and_its_message_goes_without_it(
    chat_server: tuple[str, list[tuple[str, Any, bytes | None]]],
) -> None:
    base, received = chat_server
    store = MemoryStore()
    for i in range(3):
        payload = dict(hostile_payload(i), fingerprint=f"ep{i}")
        entry = chat_item("slack", i, payload)
        if i == 1:
            entry = msgspec.structs.replace(entry, payload=msgspec.Raw(b'{"version": 99}'))
        assert await store.claim_notification(payload["id"], ttl_s=60, outbox=[entry])
    receivers: list[Receiver] = [
        SlackReceiver(name="slack", type="slack", url=SecretStr(f"{base}/slack"))
    ]
    async with aiohttp.ClientSession() as session:
        worker = OutboxWorker(store, session, receivers, Metrics(), sent_ttl_s=60)
        assert await worker.drain(timeout_s=10) == 0
    dead = await store.dead_letters()
    assert [d.sequence for d in dead] == [1] and "unreadable" in (dead[0].dead_reason or "")
    ((kind, message, _),) = received
    assert kind == "slack" and sum(b["type"] == "divider" for b in message["blocks"]) == 2


def test_map_png_shows_track_border_entry_and_orbit(boundaries_path: Path) -> None:
    boundaries = Boundaries.load(boundaries_path)
    mexico, usa = boundaries.index_of("MX"), boundaries.index_of("US")
    assert mexico is not None and usa is not None
    mx, us = boundaries.geometry(mexico), boundaries.geometry(usa)
    track = [(29.6 - 0.05 * i, -100.95 + 0.01 * i) for i in range(30)]
    spec = MapSpec(track=track, countries=[us, mx], highlight=mx, entry=(29.317, -100.926),
                   orbit=(28.5, -100.7, 9.0), title="TROY701 · foreign-airspace")  # fmt: skip
    image = Image.open(io.BytesIO(render_png(spec)))
    assert image.format == "PNG" and image.size == (800, 520)
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 16) or []}
    assert (252, 236, 222) in colours  # Mexico, the foreign country, is drawn
    assert (244, 241, 234) in colours  # and the US beside it
    assert (30, 90, 200) in colours and (215, 38, 61) in colours  # track and orbit


def test_a_racetrack_is_drawn_as_an_oval_along_its_axis_and_named_in_the_chat(
    boundaries_path: Path,
) -> None:
    payload = copy.deepcopy(EXAMPLE)
    payload["rule"] = {"id": "loiter", "type": "loiter", "severity": "warning"}
    payload.pop("area", None)
    payload["loiter"] = {
        "center": {"lat": 25.0, "lon": -93.0}, "radius_km": 30.0, "turns": 2.5,
        "duration_s": 3600, "alt_min_ft": 24000, "alt_max_ft": 24000,
        "shape": "racetrack", "leg_km": 90.0, "width_km": 22.0, "axis_deg": 90.0,
    }  # fmt: skip
    racetrack = decode(json.dumps(payload).encode())
    assert racetrack.loiter and racetrack.loiter.pattern == (
        "racetrack, 90 km legs, 22 km wide, axis 090/270"
    )
    spec = spec_for(Boundaries.load(boundaries_path), racetrack, [])
    assert spec.orbit is None and spec.racetrack is not None
    lats, lons = zip(*spec.racetrack.outline(), strict=True)
    east_west_km = (max(lons) - min(lons)) * 111.2 * math.cos(math.radians(25.0))
    assert abs(east_west_km - 112) < 1 and abs((max(lats) - min(lats)) * 111.2 - 22) < 0.5
    image = Image.open(io.BytesIO(render_png(spec)))
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 16) or []}
    assert (215, 38, 61) in colours  # the oval
    # An older sender's loiter (no shape) is still drawn as a circle.
    del payload["loiter"]["shape"], payload["loiter"]["leg_km"]
    older = decode(json.dumps(payload).encode())
    assert older.loiter and older.loiter.pattern == "2.5 turns, radius 30 km"
    assert spec_for(Boundaries.load(boundaries_path), older, []).orbit == (25.0, -93.0, 30.0)
