"""The generic JSON webhook: the payload (version 1) as it is, signed.

The body is the stored payload, byte for byte. Every attempt carries the notification
id (`X-Borderwatch-Id`, the same on every retry) and a fresh timestamp; with a secret it
is signed over both (`X-Borderwatch-Signature`, signing.py; docs/webhooks.md).
"""

from __future__ import annotations

from service.deliver.signing import sign
from service.deliver.transport import Outgoing
from service.settings.receivers import WebhookReceiver
from service.store.records import OutboxItem


def request(receiver: WebhookReceiver, item: OutboxItem, *, now: float) -> Outgoing:
    """The request that delivers one notification to a webhook receiver."""
    body = bytes(item.payload)
    timestamp = int(now)
    headers = {"X-Borderwatch-Id": item.id, "X-Borderwatch-Timestamp": str(timestamp)}
    if receiver.secret is not None and receiver.signing != "none":
        secret = receiver.secret.get_secret_value().encode()
        # Re-signed per attempt: a receiver's replay window must not expire a retry.
        headers["X-Borderwatch-Signature"] = sign(secret, timestamp, body)
    return Outgoing(body, "application/json", headers)
