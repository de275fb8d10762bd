"""Discord webhook messages: one embed per notification, the map as an attachment.

Limits respected (Discord embed limits): title 256 characters, description 4096, at
most 25 fields, field name 256 and value 1024, footer 2048, at most 10 embeds per
message and 6000 characters across all embeds of a message. Every message carries
``allowed_mentions: {"parse": []}`` so nothing in it can ping anyone.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from service.alerts.payload import Payload
from service.deliver.text import clip, discord_escape, facts, joined, links, title

TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBEDS_MAX = 10
TOTAL_MAX = 6000
MAP_FILENAME = "map.png"

_COLOUR = {"critical": 0xD7263D, "warning": 0xF4A259, "info": 0x3C91E6}
_RESOLVED_COLOUR = 0x5B8E7D


def message(payloads: list[Payload], *, with_map: bool) -> dict[str, Any]:
    """The ``payload_json`` of a Discord webhook execution."""
    payloads = payloads[:EMBEDS_MAX]
    budget = TOTAL_MAX // len(payloads)  # the 6000 total is shared by all embeds
    embeds = [_embed(p, budget) for p in payloads]
    if with_map:
        embeds[0]["image"] = {"url": f"attachment://{MAP_FILENAME}"}
    return {"embeds": embeds, "allowed_mentions": {"parse": []}}


def _embed(payload: Payload, budget: int) -> dict[str, Any]:
    resolved = payload.status == "resolved"
    colour = _RESOLVED_COLOUR if resolved else _COLOUR.get(payload.rule.severity, 0x888888)
    # Link URLs hold no ( ) or spaces (checked templates, quoted values), labels no
    # markdown: both as they are.
    shown = joined([f"[{label}]({url})" for label, url in links(payload)], FIELD_VALUE_MAX)
    # The episode fingerprint is what `borderwatch ack` takes.
    footer = (
        f"borderwatch · {payload.rule.severity} · episode {payload.fingerprint} · id {payload.id}"
    )
    embed: dict[str, Any] = {
        "title": clip(discord_escape(title(payload)), TITLE_MAX),
        "color": colour,
        "timestamp": payload.at,
        "footer": {"text": clip(footer, FOOTER_MAX)},
        "fields": [
            {
                "name": clip(name, FIELD_NAME_MAX),
                "value": clip(discord_escape(value) if feed else value, FIELD_VALUE_MAX),
                "inline": True,
            }
            for name, value, feed in facts(payload)[: FIELDS_MAX - 1]
        ],
    }
    if shown:
        embed["fields"].append({"name": "Track", "value": shown, "inline": False})
    # Whatever room the budget leaves goes to the summary, the part people read first.
    used = size(embed)
    room = max(0, min(DESCRIPTION_MAX, budget - used))
    embed["description"] = clip(discord_escape(payload.summary), room)
    while size(embed) > budget and embed["fields"]:  # only with absurdly long facts
        embed["fields"].pop(0)
    return embed


def size(embed: dict[str, Any]) -> int:
    """Characters Discord counts toward the 6000 total of one embed."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len(embed.get("footer", {}).get("text", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return total


def multipart(payload_json: dict[str, Any], png: bytes | None) -> tuple[bytes, str]:
    """(body, content type) of a multipart/form-data request: payload_json + files[0]."""
    boundary = "borderwatch-" + secrets.token_hex(12)
    parts = [
        _part(boundary, 'name="payload_json"', "application/json",
              json.dumps(payload_json, ensure_ascii=False).encode()),
    ]  # fmt: skip
    if png is not None:
        disposition = f'name="files[0]"; filename="{MAP_FILENAME}"'
        parts.append(_part(boundary, disposition, "image/png", png))
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _part(boundary: str, disposition: str, content_type: str, data: bytes) -> bytes:
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; {disposition}\r\n"
        f"Content-Type: {content_type}\r\n\r\n"
    )
    return head.encode() + data + b"\r\n"
