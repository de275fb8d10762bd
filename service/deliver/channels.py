"""What each kind of receiver is sent: one request per message, built from the typed
notifications waiting for it.

The JSON webhook gets one notification per request, as stored (webhook.py); Slack
(slack.py) and Discord (discord.py) get the notifications of one aircraft together in
one message, Discord with the map attached; an apprise receiver gets one plain-text
`Push` per notification (apprise_channel.py), which apprise sends itself. A payload
that cannot be read back raises `PayloadError`: it can never be delivered, so the
worker buries it (only it: the others of its message go in the next one).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec

from service.alerts.payload import Payload, decode
from service.deliver import apprise_channel, discord, slack, webhook
from service.deliver.apprise_channel import Push
from service.deliver.transport import Outgoing
from service.settings.receivers import (
    AppriseReceiver,
    DiscordReceiver,
    Receiver,
    SlackReceiver,
    WebhookReceiver,
)
from service.store.records import OutboxItem

# Draws the map of an outbox entry (PNG), or None when there is none to draw.
MapDrawer = Callable[[OutboxItem], Awaitable[bytes | None]]


class PayloadError(ValueError):
    """A stored payload is not a version-1 notification; `item` is its outbox entry."""

    def __init__(self, item: OutboxItem, message: str) -> None:
        super().__init__(message)
        self.item = item


def group_size(receiver: Receiver) -> int:
    """How many notifications one message may carry (the JSON webhook, apprise: one)."""
    if isinstance(receiver, SlackReceiver):
        return slack.MAX_PER_MESSAGE
    if isinstance(receiver, DiscordReceiver):
        return discord.EMBEDS_MAX
    return 1


def payload_of(item: OutboxItem) -> Payload:
    """The typed notification of an outbox entry."""
    try:
        return decode(bytes(item.payload))
    except msgspec.DecodeError as exc:
        raise PayloadError(item, f"stored payload of {item.id} is unreadable: {exc}") from None


async def build(
    receiver: Receiver, items: list[OutboxItem], *, now: float, draw_map: MapDrawer | None
) -> Outgoing | Push:
    """The request (or, for apprise, the push) that delivers `items` (one message) to
    `receiver`."""
    if isinstance(receiver, WebhookReceiver):
        (item,) = items
        return webhook.request(receiver, item, now=now)
    if isinstance(receiver, AppriseReceiver):
        (item,) = items
        return apprise_channel.message(payload_of(item))
    payloads = [payload_of(item) for item in items]
    if isinstance(receiver, SlackReceiver):
        return Outgoing(msgspec.json.encode(slack.message(payloads)), "application/json")
    png = None
    if receiver.attach_map and draw_map is not None:
        png = await draw_map(items[0])
    body, content_type = discord.multipart(discord.message(payloads, with_map=png is not None), png)
    return Outgoing(body, content_type)
