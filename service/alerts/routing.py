"""Routing: which receivers get a notification, as outbox entries ready to enqueue.

Decided once, when the notification is produced, from the receivers' `route` and
`send_resolved`; the entries are then stored atomically with the notification's claim
(see `Store.claim_notification`), so a produced notification always has its deliveries
queued and a crash between the two cannot happen.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from service.alerts.notification import Notification
from service.settings.receivers import Receiver
from service.store.records import OutboxItem


def country_of(notification: Notification) -> str | None:
    """The country a notification is about (airspace entered, or where it happened)."""
    country: str | None = getattr(notification.event.facts, "country", None)
    return country


def wants(receiver: Receiver, notification: Notification) -> bool:
    """True when the receiver's route and lifecycle settings take this notification."""
    route = receiver.route
    if notification.status == "resolved" and not receiver.send_resolved:
        return False
    if route.rules and notification.rule.id not in route.rules:
        return False
    if route.severities and notification.rule.severity not in route.severities:
        return False
    return not route.countries or country_of(notification) in route.countries


def outbox_items(
    notification: Notification, receivers: Sequence[Receiver], now: float
) -> list[OutboxItem]:
    """One entry per enabled receiver that wants the notification."""
    chosen = [r for r in receivers if r.url is not None and wants(r, notification)]
    if not chosen:
        return []
    payload = msgspec.Raw(notification.body())
    return [
        OutboxItem(
            receiver=receiver.name,
            id=notification.id,
            fingerprint=notification.fingerprint,
            sequence=notification.sequence,
            kind=notification.event.kind,
            rule=notification.rule.id,
            hex=notification.identity.hex,
            country=country_of(notification),
            payload=payload,
            at=notification.event.at,
            enqueued_at=now,
        )
        for receiver in chosen
    ]
