"""The alerts stage in the pipeline: events become numbered notifications, produced once.

Each event belongs to an episode (rule, aircraft, episode start); its notification gets
the episode's next sequence number. The notification is claimed in the store's
notification log and its deliveries queued in the outbox in one atomic step, so a
notification is produced once even across restarts, and a produced notification always
has its deliveries queued (routing.py decides which receivers get it).
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from service.alerts.notification import Notification, fingerprint, notification_id
from service.alerts.routing import outbox_items
from service.clock import SYSTEM_CLOCK, Clock
from service.detect.events import Event
from service.metrics import Metrics
from service.settings import Receiver, Rule
from service.store.base import EpisodeStore
from service.track.fleet import Aircraft

log = structlog.get_logger(__name__)


class Notifier:
    """Turns events into notifications and queues their deliveries."""

    def __init__(
        self,
        store: EpisodeStore,
        rules: Sequence[Rule],
        metrics: Metrics,
        *,
        receivers: Sequence[Receiver] = (),
        log_ttl_s: int,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """`receivers`: where deliveries are queued (none: notifications are only
        produced, as when a replay prints them); `log_ttl_s`: how long produced
        notification ids are remembered."""
        self.store = store
        self.rules_by_id = {rule.id: rule for rule in rules}
        self.metrics = metrics
        self.receivers = receivers
        self.log_ttl_s = log_ttl_s
        self.clock = clock

    async def notify(self, events: Sequence[tuple[Aircraft, Event]]) -> list[Notification]:
        """The notifications of `events` not produced before, in order."""
        notifications: list[Notification] = []
        for aircraft, event in events:
            episode = fingerprint(event.rule_id, aircraft.identity.hex, event.episode_start)
            sequence = aircraft.sequences.get(episode, 0)
            if event.kind == "resolved":
                aircraft.sequences.pop(episode, None)
            else:
                aircraft.sequences[episode] = sequence + 1
            rule = self.rules_by_id[event.rule_id]
            notification = Notification(
                id=notification_id(episode, sequence),
                fingerprint=episode,
                sequence=sequence,
                rule=rule,
                event=event,
                identity=aircraft.identity,
            )
            entries = outbox_items(notification, self.receivers, self.clock.time())
            claimed = await self.store.claim_notification(
                notification.id, ttl_s=self.log_ttl_s, outbox=entries
            )
            if not claimed:
                self.metrics.duplicates.inc()
                continue
            notifications.append(notification)
            self.metrics.alerts.labels(rule.id, notification.status, event.kind).inc()
            log.info(
                "alert.notified",
                rule=rule.id,
                kind=event.kind,
                hex=aircraft.identity.hex,
                sequence=sequence,
                id=notification.id,
            )
        return notifications
