"""The delivery worker: drains the durable outbox into the receivers, at least once.

Each pass reads the pending entries (oldest first) from the store and starts a send for
every entry that is due and is the oldest pending one of its episode for its receiver,
so an episode's notifications arrive in order while different episodes go out in
parallel, at most `concurrency` requests per receiver. Chat receivers get the due
notifications of one aircraft in one message (`group_wait_s` lets them gather).

An entry leaves the outbox only after the receiver accepted it (then the receiver's
sent log records it), or when it is deliberately dropped (silence, acknowledgement,
repeat interval), or buried as a dead letter (refused, or undelivered for too long).
Retry state is written back to the store after every failed attempt, so a SIGKILL or
a Redis restart costs at most a repeat of the request in flight, with the same id.

Only one instance per store (Redis prefix) delivers: the one holding the delivery
lease. Each pass first takes or renews it (at most every third of its TTL); without it
the worker starts no sends, while sends already in flight finish. `close` releases it,
so another instance takes over at once; after a crash, once the TTL has run out.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import secrets
import socket
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import suppress

import aiohttp
import msgspec
import structlog

from service.clock import SYSTEM_CLOCK, Clock
from service.deliver.apprise_channel import AppriseSender, Push
from service.deliver.channels import MapDrawer, PayloadError, build, group_size
from service.deliver.lifecycle import Skip, skip_reason
from service.deliver.policy import DeliveryOutcome
from service.deliver.transport import post
from service.metrics import Metrics
from service.outbound import USER_AGENT
from service.settings import Receiver
from service.settings.receivers import AppriseReceiver
from service.store.base import Store, StoreError
from service.store.records import OutboxItem, Silence

log = structlog.get_logger(__name__)

PENDING_LIMIT = 2000  # entries read per pass; the rest wait their turn
IDLE_POLL_S = 1.0  # longest sleep between passes (another instance may enqueue)
STORE_RETRY_S = 2.0  # pause after the store failed a pass
DEAD_REFRESH_S = 15.0  # how often the dead-letter gauge is recounted
LEASE_NAME = "delivery"  # the lease the delivering instance holds
LEASE_TTL_S = 15.0  # default lease TTL; renewed every third of it
PRUNE_EVERY_S = 3600.0  # how often old dead letters and ended silences are forgotten
UPDATES_REMEMBERED = 100_000  # episodes whose last update time is kept (repeat interval)


def holder_id() -> str:
    """This instance as a lease holder: hostname:pid:random."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class OutboxWorker:
    """Delivers outbox entries to the configured receivers; one per process."""

    def __init__(
        self,
        store: Store,
        session: aiohttp.ClientSession,
        receivers: Sequence[Receiver],
        metrics: Metrics,
        *,
        sent_ttl_s: int,
        draw_map: MapDrawer | None = None,
        clock: Clock = SYSTEM_CLOCK,
        jitter: Callable[[], float] = random.random,
        lease_ttl_s: float = LEASE_TTL_S,
        holder: str | None = None,
        dead_letter_ttl_s: float = 30 * 86400.0,
        silence_ttl_s: float = 7 * 86400.0,
    ) -> None:
        """`receivers` without a URL are disabled: their entries wait in the outbox.
        `holder` names this instance in the delivery lease (default `holder_id()`)."""
        self.store, self.session, self.metrics = store, session, metrics
        self.receivers = {r.name: r for r in receivers if r.url is not None}
        self.sent_ttl_s = sent_ttl_s
        self.draw_map = draw_map
        self.clock, self.jitter = clock, jitter
        self.limits = {name: asyncio.Semaphore(r.concurrency) for name, r in self.receivers.items()}
        # apprise receivers send from threads: twice the attempts they may have in
        # flight, so threads outliving a timed-out attempt rarely stop the next one.
        pushers = [r for r in self.receivers.values() if isinstance(r, AppriseReceiver)]
        threads = 2 * sum(r.concurrency for r in pushers)
        self.pusher = AppriseSender(threads) if pushers else None
        self.in_flight: set[str] = set()
        # Delivered, but the store was down when it was to be taken out of the outbox.
        self.unrecorded: dict[str, OutboxItem] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.wake = asyncio.Event()
        # Event time of the last update delivered per (receiver, episode): repeat interval.
        # Bounded: the least recently updated episodes are forgotten first.
        self.last_update_at: OrderedDict[tuple[str, str], float] = OrderedDict()
        self.dead_letter_ttl_s, self.silence_ttl_s = dead_letter_ttl_s, silence_ttl_s
        self._pruned_at = -math.inf
        self._silences: list[Silence] = []
        self._dead_counted_at = -DEAD_REFRESH_S
        self.holder = holder or holder_id()
        self.lease_ttl_s = lease_ttl_s
        self.leader = False  # holds the delivery lease
        self._renewed_at = -math.inf  # clock time the lease was last taken or renewed
        metrics.delivery_leader.set(0)
        for name in self.receivers:
            metrics.dead_letters.labels(name).set(0)

    def kick(self) -> None:
        """New entries were enqueued: run a pass now rather than at the next poll."""
        self.wake.set()

    async def run(self) -> None:
        """Deliver until cancelled; store failures pause the worker, never end it."""
        while True:
            self.wake.clear()
            try:
                delay = await self.step()
            except StoreError as exc:
                log.warning("outbox.store_failed", error=str(exc))
                delay = STORE_RETRY_S
            await wait_at_most(self.wake, delay)

    async def drain(self, timeout_s: float) -> int:
        """Deliver until nothing deliverable is pending or `timeout_s` passes; return
        how many entries of enabled receivers are still pending (then in the store),
        or -1 when the store stopped answering."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.wake.clear()
            try:
                delay = await self.step()
                pending = await self.store.outbox_pending()
            except StoreError as exc:
                log.warning("outbox.store_failed", error=str(exc))
                if time.monotonic() >= deadline:
                    return -1  # unknown: the store is not answering
                delay, pending = STORE_RETRY_S, []
            left = sum(i.receiver in self.receivers for i in pending)
            if (left == 0 and not self.tasks) or time.monotonic() >= deadline:
                return left
            remaining = deadline - time.monotonic()
            await wait_at_most(self.wake, max(0.0, min(delay, remaining)))

    async def close(self, grace_s: float) -> None:
        """Let sends in flight finish for up to `grace_s`, then cancel them (they stay
        in the outbox and are sent again, with the same id, after a restart); then
        release the delivery lease so that another instance takes over at once."""
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=grace_s)
        for task in list(self.tasks):
            task.cancel()
        with suppress(asyncio.CancelledError):
            await asyncio.gather(*self.tasks, return_exceptions=True)
        with suppress(StoreError):
            await self._record_delivered(list(self.unrecorded.values()))
        if self.unrecorded:  # the receivers deduplicate on the id
            log.warning("outbox.unrecorded_at_exit", sent_again_after_restart=len(self.unrecorded))
        if self.pusher is not None:
            self.pusher.close()
        self._set_leader(False)
        self._renewed_at = -math.inf
        try:
            await self.store.release_lease(LEASE_NAME, self.holder)
        except StoreError as exc:  # it expires on its own
            log.warning("outbox.lease_release_failed", error=str(exc))

    async def hold_lease(self, now: float) -> bool:
        """Take the delivery lease, or renew it when a third of its TTL has passed;
        True while this worker holds it. A store failure counts as not holding it."""
        if self.leader and now - self._renewed_at < self.lease_ttl_s / 3:
            return True
        try:
            held = await self.store.acquire_lease(LEASE_NAME, self.holder, self.lease_ttl_s)
        except StoreError:
            self._set_leader(False)
            raise
        if held:
            self._renewed_at = now
        elif self.leader:
            log.warning("outbox.lease_lost", holder=self.holder)
        self._set_leader(held)
        return held

    def _set_leader(self, leader: bool) -> None:
        if leader and not self.leader:
            log.info("outbox.lease_acquired", holder=self.holder)
        self.leader = leader
        self.metrics.delivery_leader.set(1 if leader else 0)

    async def step(self) -> float:
        """One pass: bury, start due sends; return seconds until the next pass is due."""
        now = self.clock.time()
        leader = await self.hold_lease(now)
        # First what was delivered while the store was down: out of the outbox (leader
        # or not: another instance must not send it again).
        await self._record_delivered(list(self.unrecorded.values()))
        pending = await self.store.outbox_pending(PENDING_LIMIT)
        await self._gauges(pending, now)
        # The next pass comes in time to renew the lease (or to try for it again).
        wait = min(IDLE_POLL_S, self.lease_ttl_s / 3)
        if not leader:
            return wait  # another instance delivers; sends in flight still finish
        if now - self._pruned_at >= PRUNE_EVERY_S:
            await self._prune(now)
        self._silences = [s for s in await self.store.silences() if s.active(now)]
        episodes: set[tuple[str, str]] = set()
        due: list[OutboxItem] = []
        for item in pending:
            episode = (item.receiver, item.fingerprint)
            receiver = self.receivers.get(item.receiver)
            if episode in episodes or receiver is None:
                continue  # an earlier one of the episode is pending: order first
            episodes.add(episode)
            if item.key in self.in_flight or item.key in self.unrecorded:
                continue
            if now - item.enqueued_at >= receiver.dead_letter_after_s:
                await self._bury(item, f"undelivered after {now - item.enqueued_at:.0f} s", now)
                continue
            at = max(item.next_at, item.enqueued_at + receiver.group_wait_s)
            if at > now:
                wait = min(wait, at - now)
                continue
            due.append(item)
        for group in _groups(due, self.receivers):
            self.in_flight.update(item.key for item in group)
            task = asyncio.create_task(self._deliver(self.receivers[group[0].receiver], group))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return max(0.01, wait)

    async def _deliver(self, receiver: Receiver, group: list[OutboxItem]) -> None:
        try:
            async with self.limits[receiver.name]:
                await self._send(receiver, group)
        except StoreError as exc:
            log.warning("outbox.store_failed", receiver=receiver.name, error=str(exc))
        except Exception:  # a bug must not stop delivery to everyone else
            log.exception("outbox.send_crashed", receiver=receiver.name)
        finally:
            self.in_flight.difference_update(item.key for item in group)
            self.wake.set()

    async def _send(self, receiver: Receiver, group: list[OutboxItem]) -> None:
        now = self.clock.time()
        items = []
        for item in group:
            skip = await skip_reason(
                self.store, receiver, item, self._silences, self.last_update_at
            )
            if skip is None:
                items.append(item)
                continue
            await self.store.outbox_done(item, sent_ttl_s=self.sent_ttl_s, sent=False)
            self.metrics.deliveries.labels(receiver.name, skip.value).inc()
            if skip is Skip.SILENCED:
                self.metrics.silenced.labels(item.rule).inc()
            log.info("outbox.skipped", receiver=receiver.name, id=item.id, why=skip.value)
        if not items:
            return
        try:
            outgoing = await build(receiver, items, now=now, draw_map=self.draw_map)
        except PayloadError as exc:
            # Unreadable forever: retrying would only block the episode behind it. The
            # readable ones of the message stay pending and go in the next pass.
            await self._bury(exc.item, str(exc), now, DeliveryOutcome.REJECTED)
            return
        assert receiver.url is not None  # disabled receivers are never started
        started = time.monotonic()
        url = receiver.url.get_secret_value()
        if isinstance(outgoing, Push):
            assert self.pusher is not None  # made for every apprise receiver
            attempt = await self.pusher.send(url, outgoing, timeout_s=receiver.timeout_s)
        else:
            attempt = await post(
                self.session,
                url,
                outgoing,
                timeout_s=receiver.timeout_s,
                user_agent=USER_AGENT,
                clock=self.clock.time,
            )
        self.metrics.delivery_attempts.labels(receiver.name, attempt.label).inc()
        self.metrics.delivery_seconds.labels(receiver.name).observe(time.monotonic() - started)
        # Waits count from the answer: a Retry-After date is absolute, and a backoff
        # measured from the request would vanish behind a slow answer or a timeout.
        now = self.clock.time()
        logger = log.bind(receiver=receiver.name, ids=[i.id for i in items], status=attempt.label)
        if attempt.outcome is DeliveryOutcome.DELIVERED:
            for item in items:
                if item.kind != "resolved":  # the repeat interval counts from here
                    self._remember_update((receiver.name, item.fingerprint), item.at)
                self.metrics.deliveries.labels(receiver.name, attempt.outcome).inc()
            logger.info("webhook.delivered")
            await self._record_delivered(items)
        elif attempt.outcome is DeliveryOutcome.REJECTED:
            logger.error("webhook.rejected")
            for item in items:
                await self._bury(item, f"rejected with HTTP {attempt.status}", now, attempt.outcome)
        else:
            for item in items:
                await self._retry(receiver, item, attempt.label, attempt.retry_after_s, now)

    async def _retry(
        self,
        receiver: Receiver,
        item: OutboxItem,
        error: str,
        retry_after: float | None,
        now: float,
    ) -> None:
        attempts = item.attempts + 1
        if attempts >= receiver.max_attempts:
            await self._bury(item, f"gave up after {attempts} attempts ({error})", now)
            return
        if retry_after is not None:
            delay = min(retry_after, receiver.backoff_max_s)  # the receiver asked: obey
        else:
            # Full jitter: a receiver back from an outage is not hit in synchronised waves.
            ceiling = receiver.backoff_initial_s * 2 ** min(attempts - 1, 32)
            delay = self.jitter() * min(receiver.backoff_max_s, ceiling)
        updated = msgspec.structs.replace(
            item, attempts=attempts, next_at=now + delay, last_error=error
        )
        await self.store.outbox_update(updated)
        log.warning(
            "webhook.retry_scheduled",
            receiver=receiver.name,
            id=item.id,
            attempt=attempts,
            error=error,
            delay_s=round(delay, 3),
            retry_after=retry_after is not None,
        )

    async def _bury(
        self,
        item: OutboxItem,
        reason: str,
        now: float,
        outcome: DeliveryOutcome = DeliveryOutcome.GAVE_UP,
    ) -> None:
        await self.store.outbox_bury(msgspec.structs.replace(item, dead_reason=reason, dead_at=now))
        self.metrics.deliveries.labels(item.receiver, outcome).inc()
        self._dead_counted_at = -DEAD_REFRESH_S  # recount at the next pass
        log.error("outbox.dead_letter", receiver=item.receiver, id=item.id, reason=reason)

    async def _record_delivered(self, items: list[OutboxItem]) -> None:
        """Take delivered entries out of the outbox. All are marked first: when the
        store fails part way, the rest are remembered here, never sent again, and only
        recorded once the store is back (StoreError propagates)."""
        self.unrecorded.update((item.key, item) for item in items)
        for item in items:
            await self.store.outbox_done(item, sent_ttl_s=self.sent_ttl_s)
            self.unrecorded.pop(item.key, None)  # a concurrent pass may have done it

    def _remember_update(self, episode: tuple[str, str], at: float) -> None:
        self.last_update_at[episode] = at
        self.last_update_at.move_to_end(episode)
        while len(self.last_update_at) > UPDATES_REMEMBERED:
            self.last_update_at.popitem(last=False)

    async def _prune(self, now: float) -> None:
        """Forget dead letters and ended silences past their retention."""
        self._pruned_at = now
        dead = await self.store.prune_dead_letters(now - self.dead_letter_ttl_s)
        ended = await self.store.prune_silences(now - self.silence_ttl_s)
        if dead or ended:
            log.info("outbox.pruned", dead_letters=dead, silences=ended)

    async def _gauges(self, pending: list[OutboxItem], now: float) -> None:
        depth = len(pending) if len(pending) < PENDING_LIMIT else await self.store.outbox_depth()
        self.metrics.outbox_depth.set(depth)
        oldest = min((i.enqueued_at for i in pending), default=now)
        self.metrics.outbox_oldest_age.set(max(0.0, now - oldest))
        if time.monotonic() - self._dead_counted_at >= DEAD_REFRESH_S:
            counts = dict.fromkeys(self.receivers, 0)
            for item in await self.store.dead_letters():
                counts[item.receiver] = counts.get(item.receiver, 0) + 1
            for name, count in counts.items():
                self.metrics.dead_letters.labels(name).set(count)
            self._dead_counted_at = time.monotonic()


def _groups(due: list[OutboxItem], receivers: dict[str, Receiver]) -> list[list[OutboxItem]]:
    """Due entries as messages: per receiver and aircraft, in order, up to the format's
    size (one for the JSON webhook, whose payload is one notification)."""
    groups: dict[tuple[str, str], list[list[OutboxItem]]] = {}
    for item in due:
        chunks = groups.setdefault((item.receiver, item.hex), [[]])
        if len(chunks[-1]) >= group_size(receivers[item.receiver]):
            chunks.append([])
        chunks[-1].append(item)
    return [chunk for chunks in groups.values() for chunk in chunks]


async def wait_at_most(event: asyncio.Event, seconds: float) -> None:
    """Wait until `event` is set or `seconds` pass.

    `asyncio.timeout`, not `wait_for`: on Python 3.11, `wait_for` can swallow a
    cancellation that arrives just as the event is set, and the worker then never
    stops (shutdown hangs).
    """
    with suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
