"""Delivery of notifications to receivers: signed webhook POSTs with retries.

`deliver` sends one notification body to one `WebhookTarget`; `sign` and `verify`
implement the ``X-Borderwatch-Signature`` scheme described in docs/webhooks.md.
"""

from service.deliver.signing import sign, verify
from service.deliver.webhook import DeliveryHooks, DeliveryOutcome, WebhookTarget, deliver

__all__ = ["DeliveryHooks", "DeliveryOutcome", "WebhookTarget", "deliver", "sign", "verify"]
