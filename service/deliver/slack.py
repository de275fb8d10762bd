"""Slack incoming-webhook messages in Block Kit.

Limits respected (Slack Block Kit reference): at most 50 blocks per message, a header's
plain text at most 150 characters, a section's text at most 3000, at most 10 section
fields of at most 2000 characters each. One message carries the notifications of one
group (same aircraft, at most `MAX_PER_MESSAGE`).
"""

from __future__ import annotations

from typing import Any

from service.alerts.payload import Payload
from service.deliver.text import clip, facts, joined, links, slack_escape, slack_plain, title

MAX_BLOCKS = 50
HEADER_MAX = 150
SECTION_MAX = 3000
FIELDS_MAX = 10
FIELD_MAX = 2000
# 5 blocks per notification (+1 header) stays far below MAX_BLOCKS.
MAX_PER_MESSAGE = 8

_EMOJI = {"opened": ":rotating_light:", "update": ":arrows_counterclockwise:",
          "resolved": ":white_check_mark:"}  # fmt: skip


def message(payloads: list[Payload]) -> dict[str, Any]:
    """The JSON body for a Slack incoming webhook."""
    payloads = payloads[:MAX_PER_MESSAGE]
    first = payloads[0]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": clip(slack_plain(title(first)), HEADER_MAX)},
        }
    ]
    for payload in payloads:
        blocks.extend(_blocks(payload))
    blocks = blocks[:MAX_BLOCKS]
    fallback = " | ".join(slack_escape(p.summary) for p in payloads)
    # `text` is the notification preview and screen-reader text.
    return {"text": clip(fallback, SECTION_MAX), "blocks": blocks}


def _blocks(payload: Payload) -> list[dict[str, Any]]:
    # Feed text goes only into plain_text objects: Slack has no way to escape mrkdwn's
    # *bold*, _italic_, ~strike~ or `code`, and plain_text parses none of them.
    emoji = _EMOJI.get(payload.kind, ":small_blue_diamond:")
    summary = clip(f"{emoji} {slack_plain(payload.summary)}", SECTION_MAX)
    fields = [
        _plain(clip(f"{name}: {slack_plain(value) if feed else value}", FIELD_MAX))
        for name, value, feed in facts(payload)[:FIELDS_MAX]
    ]
    # Link URLs hold no | < > or spaces (checked templates, quoted values); the labels
    # are checked too, and escaped as Slack asks for & < >.
    shown = [f"<{url}|{slack_escape(label)}>" for label, url in links(payload)]
    rule = payload.rule
    # mrkdwn for our own text only: rule ids are [a-z0-9_.-] by config validation.
    head = f"{rule.severity} · rule `{rule.id}` · {payload.kind} #{payload.sequence}"
    tail = f"episode `{payload.fingerprint}` (to `borderwatch ack`)"
    middle = joined(shown, SECTION_MAX - len(head) - len(tail) - 6)  # 6: two " · "
    context = " · ".join(part for part in (head, middle, tail) if part)
    return [
        {"type": "section", "text": _plain(summary)},
        {"type": "section", "fields": fields},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(context, SECTION_MAX)}]},
        {"type": "divider"},
    ]


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}
