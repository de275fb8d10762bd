"""The alerts stage in the pipeline: events become numbered notifications, produced once.

Each event belongs to an episode (rule, aircraft, episode start); its notification gets
the episode's next sequence number. The notification is claimed in the store's
notification log and its deliveries queued in the outbox in one atomic step, so a
notification is produced once even across restarts, and a produced notification always
has its deliveries queued (routing.py decides which receivers get it).

While the store is down, notifications wait in memory, in order (`pending`, at most
`MAX_PENDING`), and are claimed as soon as it answers again (`flush`, also called by
the runtime between snapshots): nothing is lost, and a claim that had in fact reached
the store before it failed is found in the log and not queued twice.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import Final

import structlog

from service.alerts.notification import Notification, fingerprint, notification_id
from service.alerts.routing import outbox_items
from service.clock import SYSTEM_CLOCK, Clock
from service.detect.events import Event
from service.metrics import Metrics
from service.settings import Receiver, Rule
from service.settings.links import Link
from service.store.base import EpisodeStore, StoreError
from service.store.records import OutboxItem
from service.track.fleet import Aircraft

log = structlog.get_logger(__name__)

# Notifications kept in memory while the store is down (days of a busy region's alerts).
MAX_PENDING: Final = 100_000


class Notifier:
    """Turns events into notifications and queues their deliveries."""

    def __init__(
        self,
        store: EpisodeStore,
        rules: Sequence[Rule],
        metrics: Metrics,
        *,
        receivers: Sequence[Receiver] = (),
        links: Sequence[Link] = (),
        log_ttl_s: int,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """`receivers`: where deliveries are queued (none: notifications are only
        produced, as when a replay prints them); `links`: the link templates every
        payload carries (`links:`); `log_ttl_s`: how long produced notification ids
        are remembered."""
        self.store = store
        self.rules_by_id = {rule.id: rule for rule in rules}
        self.metrics = metrics
        self.receivers = receivers
        self.links = tuple(links)
        self.log_ttl_s = log_ttl_s
        self.clock = clock
        self.pending: deque[tuple[Notification, list[OutboxItem]]] = deque()
        self._lock = asyncio.Lock()  # one claimer at a time keeps the order

    async def notify(self, events: Sequence[tuple[Aircraft, Event]]) -> list[Notification]:
        """The notifications claimed now, in order: those that waited for the store
        first, then those of `events` not produced before."""
        async with self._lock:
            claimed = await self._flush()
            for aircraft, event in events:
                notification = self._number(aircraft, event)
                entries = outbox_items(notification, self.receivers, self.clock.time())
                if self.pending:  # the store is down: wait in line
                    self._wait(notification, entries)
                    continue
                try:
                    if await self._claim(notification, entries):
                        claimed.append(notification)
                except StoreError:
                    self._wait(notification, entries)
            return claimed

    async def flush(self) -> list[Notification]:
        """Claim the notifications that waited for the store; those claimed now."""
        async with self._lock:
            return await self._flush()

    async def _flush(self) -> list[Notification]:
        claimed: list[Notification] = []
        while self.pending:
            notification, entries = self.pending[0]
            try:
                if await self._claim(notification, entries):
                    claimed.append(notification)
            except StoreError:
                break  # still down: try again later, in the same order
            self.pending.popleft()
        self.metrics.notifications_pending.set(len(self.pending))
        if claimed:
            log.info("alert.caught_up", notifications=len(claimed), waiting=len(self.pending))
        return claimed

    def _number(self, aircraft: Aircraft, event: Event) -> Notification:
        episode = fingerprint(event.rule_id, aircraft.identity.hex, event.episode_start)
        sequence = aircraft.sequences.get(episode, 0)
        if event.kind == "resolved":
            aircraft.sequences.pop(episode, None)
        else:
            aircraft.sequences[episode] = sequence + 1
        return Notification(
            id=notification_id(episode, sequence),
            fingerprint=episode,
            sequence=sequence,
            rule=self.rules_by_id[event.rule_id],
            event=event,
            identity=aircraft.identity,
            links=self.links,
        )

    async def _claim(self, notification: Notification, entries: list[OutboxItem]) -> bool:
        """Claim and queue; False (counted) when the log already had it."""
        claimed = await self.store.claim_notification(
            notification.id, ttl_s=self.log_ttl_s, outbox=entries
        )
        if not claimed:
            self.metrics.duplicates.inc()
            return False
        event = notification.event
        self.metrics.alerts.labels(notification.rule.id, notification.status, event.kind).inc()
        log.info(
            "alert.notified",
            rule=notification.rule.id,
            kind=event.kind,
            hex=notification.identity.hex,
            sequence=notification.sequence,
            id=notification.id,
        )
        return True

    def _wait(self, notification: Notification, entries: list[OutboxItem]) -> None:
        if len(self.pending) >= MAX_PENDING:
            dropped, _ = self.pending.popleft()
            log.error("alert.pending_overflow", dropped=dropped.id, limit=MAX_PENDING)
        if not self.pending:
            log.warning("alert.pending", reason="store unavailable")
        self.pending.append((notification, entries))
        self.metrics.notifications_pending.set(len(self.pending))
