"""Delivery of notifications to receivers through the durable outbox.

`OutboxWorker` (outbox.py) drains the outbox; `transport` builds each format's request
(signed JSON webhook, Slack Block Kit, Discord embeds with the map) and makes one
attempt; `webhook` holds the retry policy they share (which statuses are retried,
``Retry-After``, the bounded response read); `lifecycle` decides what a receiver should
not get (silences, acknowledgements, repeat interval). `sign`/`verify` implement the
``X-Borderwatch-Signature`` scheme described in docs/webhooks.md.
"""

from service.deliver.signing import sign, verify
from service.deliver.webhook import DeliveryOutcome

__all__ = ["DeliveryOutcome", "sign", "verify"]
