"""Delivery of notifications to receivers through the durable outbox.

`OutboxWorker` (outbox.py) drains the outbox; `channels` builds each receiver's request
from the typed notifications (the signed JSON webhook in `webhook`, Slack Block Kit in
`slack`, Discord embeds with the map in `discord`, the shared wording and escaping in
`text`); `transport` makes one attempt; `policy` is the retry policy they share (which
statuses are retried, ``Retry-After``, the bounded response read); `lifecycle` decides
what a receiver should not get (silences, acknowledgements, repeat interval).
`sign`/`verify` implement the ``X-Borderwatch-Signature`` scheme of docs/webhooks.md.
"""

from service.deliver.policy import DeliveryOutcome
from service.deliver.signing import sign, verify

__all__ = ["DeliveryOutcome", "sign", "verify"]
