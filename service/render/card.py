"""A picture of an alert as a Discord channel shows it, for the README.

Draws, with Pillow, the embed borderwatch sends (service/deliver/discord.py: title,
summary, fields, tracker links, map attachment, footer) in Discord's dark theme. It
is a rendering, not a screenshot, and says so in the image.

    python -m service.render.card var/troy701.jsonl.gz docs/img

replays the TROY701 recording in memory and writes ``troy701-card.png`` (the loiter
update) and ``troy701-entry-map.png`` (the map of the entry into Mexico).
"""

from __future__ import annotations

import asyncio
import io
import sys
import textwrap
from contextlib import aclosing
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from service.alerts.payload import Payload
from service.deliver import discord

_BG, _EMBED, _TEXT = (49, 51, 56), (43, 45, 49), (219, 222, 225)
_MUTED, _LINK = (148, 155, 164), (0, 168, 252)
_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
WIDTH = 860


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(_FONT_DIR / name), size)
    except OSError:
        return ImageFont.load_default(size=size)


def _unescape(text: str) -> str:
    """Discord shows escaped markup as the plain character."""
    out, skip = [], False
    for char in text.replace("\u200b", ""):
        if char == "\\" and not skip:
            skip = True
            continue
        out.append(char)
        skip = False
    return "".join(out)


def render_card(payload: Payload, map_png: bytes) -> bytes:
    """PNG of the Discord message for `payload` with `map_png` as its image."""
    embed = discord.message([payload], with_map=True)["embeds"][0]
    image_map = Image.open(io.BytesIO(map_png)).convert("RGB")
    image_map = image_map.resize((640, int(640 * image_map.height / image_map.width)))
    # Two passes: the first measures the embed so the second can paint its background.
    bottom = _draw(Image.new("RGB", (WIDTH, 1400), _BG), embed, image_map, None)
    canvas = Image.new("RGB", (WIDTH, bottom + 40), _BG)
    _draw(canvas, embed, image_map, bottom)
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _draw(
    canvas: Image.Image, embed: dict[str, Any], image_map: Image.Image, bottom: int | None
) -> int:
    draw = ImageDraw.Draw(canvas)
    x0, y = 70, 20
    draw.ellipse((16, y, 56, y + 40), fill=(88, 101, 242))
    draw.text((x0, y), "borderwatch", font=_font(17, True), fill=(255, 255, 255))
    draw.text((x0 + 125, y + 3), "APP   Today at 13:17", font=_font(13), fill=_MUTED)
    y += 30
    top, inner = y, x0 + 16
    if bottom is not None:
        colour = embed["color"]
        draw.rectangle((x0, top, WIDTH - 40, bottom), fill=_EMBED)
        bar = ((colour >> 16) & 255, (colour >> 8) & 255, colour & 255)
        draw.rectangle((x0, top, x0 + 4, bottom), fill=bar)
    y += 12
    for line in textwrap.wrap(_unescape(embed["title"]), 70):
        draw.text((inner, y), line, font=_font(16, True), fill=(255, 255, 255))
        y += 22
    y += 6
    for line in textwrap.wrap(_unescape(embed["description"]), 86):
        draw.text((inner, y), line, font=_font(14), fill=_TEXT)
        y += 20
    y += 8
    fields = embed["fields"]
    inline = [f for f in fields if f["inline"]]
    for row in range(0, len(inline), 3):
        for col, field in enumerate(inline[row : row + 3]):
            fx = inner + col * 215
            draw.text((fx, y), field["name"], font=_font(13, True), fill=(255, 255, 255))
            value = textwrap.shorten(_unescape(field["value"]), 30, placeholder="…")
            draw.text((fx, y + 18), value, font=_font(13), fill=_TEXT)
        y += 44
    for field in (f for f in fields if not f["inline"]):
        draw.text((inner, y), field["name"], font=_font(13, True), fill=(255, 255, 255))
        links = " · ".join(part.split("](")[0].lstrip("[") for part in field["value"].split(" · "))
        draw.text((inner, y + 18), links, font=_font(13), fill=_LINK)
        y += 44
    canvas.paste(image_map, (inner, y + 4))
    y += image_map.height + 14
    draw.text((inner, y), _unescape(embed["footer"]["text"]), font=_font(12), fill=_MUTED)
    y += 26
    note = (
        "Rendering of the Discord message borderwatch sends (service/render/card.py), "
        "not a screenshot."
    )
    draw.text((16, y + 12), note, font=_font(12), fill=_MUTED)
    return y


async def _main(recording: str, out_dir: Path) -> None:
    from service.app import build_app
    from service.pipeline import replay
    from service.settings import DEFAULT_CONFIG, load_settings

    app = await build_app(load_settings(DEFAULT_CONFIG, environ={}))
    wanted = {("foreign-airspace", 0): "entry", ("loiter", 2): "card"}
    try:
        async with aclosing(replay(app.pipeline, recording)) as replaying:
            async for notifications in replaying:
                for notification in notifications:
                    key = wanted.pop((notification.rule.id, notification.sequence), None)
                    if key is None:
                        continue
                    payload = notification.payload()
                    png = await app.maps.render(payload)
                    if key == "entry":
                        (out_dir / "troy701-entry-map.png").write_bytes(png)
                    else:
                        (out_dir / "troy701-card.png").write_bytes(render_card(payload, png))
                if not wanted:
                    break
    finally:
        await app.close()


if __name__ == "__main__":
    target = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/img")
    target.mkdir(parents=True, exist_ok=True)
    asyncio.run(_main(sys.argv[1] if len(sys.argv) > 1 else "var/troy701.jsonl.gz", target))
