"""What a chat message says about a notification, and how feed text is made harmless.

Chat formats interpret markup: a callsign such as ``*@everyone*`` or ``<!channel>``
must reach people as literal text, never as formatting or a mention. Everything that
came from a feed (callsign, registration, type, place names) goes through the escape
function of the target format; text we write ourselves (labels, numbers, links built
from a validated address) does not need to.
"""

from __future__ import annotations

import re

from msgspec import UnsetType

from service.alerts.links import fill
from service.alerts.payload import Payload
from service.settings.links import DEFAULT_LINKS

# Control characters (except none: feeds have no business sending newlines or tabs in a
# callsign) would break the one-line layout or hide text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f]")

KIND_TITLE = {"opened": "FIRING", "update": "UPDATE", "resolved": "RESOLVED"}


def clean(text: str) -> str:
    """Feed text on one line, without control or invisible formatting characters."""
    return _CONTROL.sub("", text)


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending in an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def joined(parts: list[str], limit: int, separator: str = " · ") -> str:
    """The parts joined, as many whole ones as fit in `limit` characters: a link cut in
    the middle would break the markup around it."""
    text = ""
    for part in parts:
        longer = f"{text}{separator}{part}" if text else part
        if len(longer) > limit:
            break
        text = longer
    return text


def slack_escape(text: str) -> str:
    """Slack mrkdwn: &, < and > are the only characters Slack asks to be escaped; with
    them escaped no ``<!everyone>``, ``<@U123>`` or ``<url|label>`` can be formed."""
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_plain(text: str) -> str:
    """Slack plain_text (the header): no markup is parsed there, but whether entities
    are decoded is not documented, so angle brackets become look-alike quotes instead
    of entities: no mention syntax survives and nothing shows as ``&lt;``."""
    return clean(text).replace("<", "‹").replace(">", "›")


_DISCORD_MARKUP = re.compile(r"([\\*_~`|>#\-\[\]()<:])")


def discord_escape(text: str) -> str:
    """Discord markdown: backslash every markup character, and break ``@everyone``,
    ``@here`` and ``@role`` with a zero-width space (messages also carry
    ``allowed_mentions: {"parse": []}``, so even a missed one pings nobody)."""
    escaped = _DISCORD_MARKUP.sub(r"\\\1", clean(text))
    return escaped.replace("@", "@\u200b")


def links(payload: Payload) -> list[tuple[str, str]]:
    """(label, url) of the links the payload carries (`links:` in the configuration,
    filled in when it was made; their labels and URLs are checked there and safe in
    every format). A payload from before links existed gets the default trackers."""
    carried = payload.links
    if isinstance(carried, UnsetType):
        carried = fill(DEFAULT_LINKS, payload.aircraft, payload.position)
    return [(link.label, link.url) for link in carried]


def title(payload: Payload) -> str:
    """``FIRING foreign-airspace #0 · TROY701`` (the label is feed text: escape it)."""
    kind = KIND_TITLE.get(payload.kind, payload.kind.upper())
    return f"{kind} {payload.rule.id} #{payload.sequence} · {payload.label}"


def facts(payload: Payload) -> list[tuple[str, str, bool]]:
    """(name, value, value_is_feed_text) pairs: the key facts, most useful first."""
    aircraft, position = payload.aircraft, payload.position
    found: list[tuple[str, str, bool]] = []
    who = " / ".join(x for x in (aircraft.callsign, aircraft.registration) if x)
    if who:
        found.append(("Aircraft", who, True))
    if aircraft.type:
        found.append(("Type", aircraft.type, True))
    state = aircraft.state or "unknown state"
    found.append(("Operator", f"{state} {aircraft.category}", False))
    found.append(("Address", aircraft.hex.upper(), True))
    area = payload.area
    if area:
        found.append(("Country", area.name or area.country, False))
        depth = f"{area.depth_km:.0f} km"
        if area.max_depth_km is not None:
            depth += f" (max {area.max_depth_km:.0f} km)"
        found.append(("Depth", depth, False))
    loiter = payload.loiter
    if loiter:
        if loiter.place:
            found.append(("Near", f"{loiter.place.name}, {loiter.place.country}", True))
        found.append(("Pattern", loiter.pattern, False))
        found.append(("Duration", f"{loiter.duration_s // 60:.0f} min", False))
    if payload.squawk:
        found.append(("Squawk", f"{payload.squawk.code} ({payload.squawk.meaning})", False))
    where = f"{position.lat:.3f}, {position.lon:.3f}"
    if position.alt_ft is not None:
        where += f" · {position.alt_ft:,} ft"
    if position.gs_kt is not None:
        where += f" · {position.gs_kt:.0f} kt"
    found.append(("Position", where, False))
    found.append(("Time", payload.at.replace("T", " ").replace("Z", " UTC"), False))
    return found
