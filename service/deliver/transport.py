"""One HTTP attempt for any receiver format, and the request each format sends.

The retry policy is the same for every receiver (service/deliver/webhook.py documents
it): 2xx delivered; 408, 429, 5xx and transport errors retried; other statuses refused.
What differs per format is only the request: the signed JSON payload (webhook), a Block
Kit message (Slack) or a multipart embed message with the map (Discord).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import msgspec

from service.deliver import discord, slack
from service.deliver.signing import sign
from service.deliver.webhook import (
    RETRY_AFTER_STATUSES,
    DeliveryOutcome,
    classify,
    discard_body,
)
from service.retry_after import parse_retry_after
from service.settings.receivers import DiscordReceiver, Receiver, SlackReceiver, WebhookReceiver
from service.store.records import OutboxItem

MapSource = Callable[[OutboxItem], Awaitable[bytes | None]]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A request body ready to send, with its content type and extra headers."""

    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one attempt ended: `label` is a bounded metric label (status, timeout, error)."""

    label: str
    outcome: DeliveryOutcome | None  # None: retry
    status: int | None = None
    retry_after_s: float | None = None


def group_size(receiver: Receiver) -> int:
    """How many notifications one message may carry (the JSON webhook: one)."""
    if isinstance(receiver, SlackReceiver):
        return slack.MAX_PER_MESSAGE
    if isinstance(receiver, DiscordReceiver):
        return discord.EMBEDS_MAX
    return 1


async def build(
    receiver: Receiver, items: list[OutboxItem], *, now: float, map_source: MapSource | None
) -> Outgoing:
    """The request that delivers `items` (one message) to `receiver`."""
    if isinstance(receiver, WebhookReceiver):
        (item,) = items
        body = bytes(item.payload)
        timestamp = int(now)
        headers = {"X-Borderwatch-Id": item.id, "X-Borderwatch-Timestamp": str(timestamp)}
        if receiver.secret is not None:
            secret = receiver.secret.get_secret_value().encode()
            # Re-signed per attempt: a receiver's replay window must not expire a retry.
            headers["X-Borderwatch-Signature"] = sign(secret, timestamp, body)
        return Outgoing(body, "application/json", headers)
    payloads: list[dict[str, Any]] = [msgspec.json.decode(bytes(i.payload)) for i in items]
    if isinstance(receiver, SlackReceiver):
        return Outgoing(msgspec.json.encode(slack.message(payloads)), "application/json")
    png = None
    if receiver.attach_map and map_source is not None:
        png = await map_source(items[0])
    body, content_type = discord.multipart(discord.message(payloads, with_map=png is not None), png)
    return Outgoing(body, content_type)


async def post(
    session: aiohttp.ClientSession,
    url: str,
    outgoing: Outgoing,
    *,
    timeout_s: float,
    user_agent: str,
    clock: Callable[[], float] = time.time,
) -> Attempt:
    """One POST; transport failures become an `Attempt`, never an exception."""
    headers = {"Content-Type": outgoing.content_type, "User-Agent": user_agent}
    headers.update(outgoing.headers)
    try:
        async with session.post(
            url,
            data=outgoing.body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            # A redirect would replay an alert to a host nobody configured.
            allow_redirects=False,
            raise_for_status=False,
        ) as response:
            retry_after = None
            if response.status in RETRY_AFTER_STATUSES:
                retry_after = parse_retry_after(response.headers.get("Retry-After"), clock())
            await discard_body(response)
            status = response.status
            return Attempt(str(status), classify(status), status, retry_after)
    except TimeoutError:
        return Attempt("timeout", None)
    except (aiohttp.ClientError, OSError):
        return Attempt("error", None)
