"""The pipeline: snapshot -> fuse -> identify -> locate -> track -> detect -> alerts.

`Pipeline` holds the stages and runs them in order over each snapshot; the state lives
in the stages (the fleet above all). Identification and location run vectorised over
the whole snapshot; per-aircraft Python work is spent only on the few aircraft some
rule selects. After each snapshot the fleet saves what changed, so a restarted
pipeline continues every open episode and never produces a notification twice (the
store's notification log has the last word).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

from service.alerts.notification import Notification
from service.alerts.notifier import Notifier
from service.detect.events import Event
from service.detect.rules import Detector, has_open_episode
from service.feeds.fuse import newest_per_aircraft
from service.identify.select import Selector
from service.locate.locator import Locator
from service.metrics import Metrics
from service.models import Identity, Position, Snapshot
from service.pipeline.stats import Stats
from service.track.fleet import Aircraft, Fleet


class HistoryTap(Protocol):
    """What the pipeline tells the history (service/history/tap.py), when one is kept."""

    def observe(
        self,
        fleet: Fleet,
        selected: Sequence[tuple[Position, Identity]],
        events: Sequence[tuple[Aircraft, Event]],
    ) -> None: ...

    def forget(self, hexes: Iterable[str]) -> None: ...


class Pipeline:
    """Turns snapshots into notifications, stage by stage."""

    def __init__(
        self,
        *,
        select: Selector,
        locate: Locator,
        fleet: Fleet,
        detect: Detector,
        notify: Notifier,
        metrics: Metrics,
    ) -> None:
        self.select = select
        self.locate = locate
        self.fleet = fleet
        self.detect = detect
        self.notify = notify
        self.metrics = metrics
        self.stats = Stats()
        # The durable history, when kept (`borderwatch run`, `history import`).
        self.history: HistoryTap | None = None

    async def restore(self) -> None:
        """Load the fleet and the feed clock saved by an earlier run."""
        await self.fleet.restore(self.detect.decode_state)

    def reject(self, reason: str, count: int = 1) -> None:
        """Count input dropped before or inside the pipeline."""
        self.stats.reject(reason, count)
        self.metrics.rejected.labels(reason).inc(count)

    async def process(self, snapshot: Snapshot, source: str = "replay") -> list[Notification]:
        """Run one snapshot through every stage; return the new notifications.

        `source` labels the snapshot in the metrics ("live", "replay", ...)."""
        for reason, count in snapshot.rejected.items():
            self.reject(reason, count)
        clock = self.fleet.feed_clock
        if clock is not None and snapshot.now <= clock:
            # Already processed before a restart (or out of order): never twice.
            self.stats.skipped_snapshots += 1
            return []
        now = snapshot.now
        self.stats.snapshots += 1
        self.metrics.snapshots.labels(source).inc()
        with self._stage("fuse"):
            positions = newest_per_aircraft(snapshot.positions)
        self.stats.positions += len(positions)
        self.metrics.positions.labels(source).inc(len(positions))
        with self._stage("identify"):
            selected = self.select.select(positions, self._known, self.fleet.aircraft)
        with self._stage("locate"):
            airspaces = self.locate.locate(selected)
        with self._stage("track"):
            self.fleet.follow(selected, airspaces, self.reject)
        with self._stage("detect"):
            events = self.detect.detect(self.fleet, now)
        if self.history is not None:
            with self._stage("history"):
                self.history.observe(self.fleet, selected, events)
        with self._stage("alerts"):
            notifications = await self.notify.notify(events)
        self.stats.notifications += len(notifications)
        with self._stage("persist"):
            expired, evicted = await self.fleet.save(now, lambda a: has_open_episode(a.rule_states))
        for hex_ in [*expired, *evicted]:
            self.locate.forget(hex_)
        if self.history is not None and (expired or evicted):
            self.history.forget([*expired, *evicted])
        if evicted:
            self.metrics.aircraft_evicted.inc(len(evicted))
        self.metrics.feed_clock.set(now)
        self._gauges()
        return notifications

    def _known(self, hex_: str) -> Identity | None:
        aircraft = self.fleet.get(hex_)
        return aircraft.identity if aircraft is not None else None

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.metrics.stage_seconds.labels(name).observe(time.perf_counter() - started)

    def _gauges(self) -> None:
        self.metrics.aircraft_tracked.set(len(self.fleet))
        abroad = 0
        for aircraft in self.fleet:
            last = aircraft.track.last
            if last is not None and last.country is not None:
                abroad += last.country != aircraft.identity.state
        self.metrics.aircraft_abroad.set(abroad)
        for rule_id, count in self.detect.open_episodes(self.fleet).items():
            self.metrics.episodes_open.labels(rule_id).set(count)
