"""Delivery of notifications to receivers through the durable outbox.

`OutboxWorker` (outbox.py) drains the outbox; `transport` builds each format's request
(signed JSON webhook, Slack Block Kit, Discord embeds with the map) and makes one
attempt; `lifecycle` decides what a receiver should not get (silences,
acknowledgements, repeat interval). `deliver` is the standalone one-notification
sender with in-process retries, and `sign`/`verify` implement the
``X-Borderwatch-Signature`` scheme described in docs/webhooks.md.
"""

from service.deliver.signing import sign, verify
from service.deliver.webhook import DeliveryHooks, DeliveryOutcome, WebhookTarget, deliver

__all__ = ["DeliveryHooks", "DeliveryOutcome", "WebhookTarget", "deliver", "sign", "verify"]
