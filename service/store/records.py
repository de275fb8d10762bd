"""What the store keeps for delivery: outbox entries (also dead letters) and silences.

Encoded with msgspec JSON; the webhook payload rides along as raw JSON so it is stored
exactly once, byte for byte as it will be formatted and sent.
"""

from __future__ import annotations

import msgspec


class OutboxItem(msgspec.Struct, frozen=True, kw_only=True):
    """One notification waiting for (or given up on by) one receiver.

    `(receiver, id)` is the identity: the notification id is the idempotency key a
    receiver sees on every attempt. Routing fields (`rule`, `hex`, `country`, `kind`)
    are copied out of the payload so silences and acknowledgements are checked without
    decoding it.
    """

    receiver: str
    id: str
    fingerprint: str
    sequence: int
    kind: str
    rule: str
    hex: str
    country: str | None
    payload: msgspec.Raw
    at: float  # feed time of the event (unix seconds): repeat intervals are measured on it
    enqueued_at: float  # unix seconds; dead-letter age counts from here
    attempts: int = 0
    next_at: float = 0.0  # unix seconds before which no attempt is made
    last_error: str = ""
    dead_reason: str = ""  # set when the item became a dead letter
    dead_at: float = 0.0

    @property
    def key(self) -> str:
        """``<receiver>|<id>``: the field name under which stores keep the item."""
        return f"{self.receiver}|{self.id}"


class Silence(msgspec.Struct, frozen=True, kw_only=True):
    """Mute notifications matching every given matcher until `until` (unix seconds).

    A matcher left None matches anything; at least one must be set (checked by the
    caller). `hex` is lower case, `country` ISO alpha-2 upper case.
    """

    id: str
    rule: str | None = None
    hex: str | None = None
    country: str | None = None
    until: float
    created_at: float
    comment: str = ""

    def active(self, now: float) -> bool:
        return now < self.until

    def matches(self, item: OutboxItem) -> bool:
        """True when the item falls under this silence (expiry is checked separately)."""
        return (
            (self.rule is None or self.rule == item.rule)
            and (self.hex is None or self.hex == item.hex)
            and (self.country is None or self.country == item.country)
        )


def fresh(item: OutboxItem, now: float) -> OutboxItem:
    """A dead letter as a new pending entry: same id (the receiver can still dedupe)."""
    return msgspec.structs.replace(
        item, enqueued_at=now, attempts=0, next_at=0.0, last_error="", dead_reason="", dead_at=0.0
    )


item_encoder = msgspec.json.Encoder()
item_decoder = msgspec.json.Decoder(OutboxItem)
silence_decoder = msgspec.json.Decoder(Silence)
