"""Which queued notifications a receiver should not get after all, and why.

Checked at send time (not when queued) so a silence or acknowledgement made while a
receiver was down still applies to what waited for it, as in Alertmanager.
"""

from __future__ import annotations

from enum import StrEnum

from service.settings import Receiver
from service.store.base import Store
from service.store.records import OutboxItem, Silence


class Skip(StrEnum):
    """Why an entry leaves the outbox unsent (the `outcome` label of deliveries)."""

    SILENCED = "silenced"  # a matching silence is active
    ACKNOWLEDGED = "acknowledged"  # an update of an acknowledged episode
    THROTTLED = "throttled"  # an update within the receiver's repeat interval
    ALREADY_SENT = "already_sent"  # the receiver's sent log has it (a re-sent dead letter)


async def skip_reason(
    store: Store,
    receiver: Receiver,
    item: OutboxItem,
    silences: list[Silence],
    last_update_at: dict[tuple[str, str], float],
) -> Skip | None:
    """None when `item` should be sent to `receiver` now."""
    if any(silence.matches(item) for silence in silences):
        return Skip.SILENCED
    if item.kind == "update":
        # Acknowledging stops the repeats; the resolution still goes out.
        if await store.acknowledged(item.fingerprint) is not None:
            return Skip.ACKNOWLEDGED
        last = last_update_at.get((receiver.name, item.fingerprint))
        interval = receiver.repeat_interval_s
        if interval and last is not None and item.at - last < interval:
            return Skip.THROTTLED
    if await store.was_sent(receiver.name, item.id):
        return Skip.ALREADY_SENT
    return None
