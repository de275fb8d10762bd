"""The store interface: what must survive a restart, as one small protocol per concern.

Hot state lives in process memory; the store keeps what the engine needs to continue
after a restart. Each concern is its own protocol, and each part of the service asks
only for the one it uses:

- `TrackStore`: the feed clock and each followed aircraft's state and recent track
  (service/track/fleet.py);
- `EpisodeStore`: the notification log (a notification is produced once) and the
  recent notifications and open episodes behind the read API (service/alerts/);
- `OutboxStore`: the durable outbox, the dead letters and each receiver's sent log
  (service/deliver/);
- `SilenceStore`: silences and acknowledgements (service/alerts/silences.py);
- `BudgetStore`: each feed's daily request budget (service/feeds/poller.py);
- `InstanceStore`: the liveness heartbeat and the leases instances share.

`Store` is all of them, with `ping` and `close`. Two implementations: `MemoryStore`
(embedded default, service/store/memory/) and `RedisStore` (service/store/redis/), held
to the same behaviour by one contract suite (tests/store/).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from service.store.records import OutboxItem, Silence


class StoreError(RuntimeError):
    """The store could not be reached or answered badly."""


class StoreHooks(Protocol):
    """Told the outcome of every store operation (the metrics and logs of store health)."""

    def succeeded(self) -> None: ...

    def failed(self, operation: str) -> None: ...


class NoHooks:
    """Hooks that do nothing."""

    def succeeded(self) -> None:
        pass

    def failed(self, operation: str) -> None:
        pass


class AircraftSave(NamedTuple):
    """One aircraft's changes since its last save: new state and track points.

    With `replace` the points are the whole track and replace the saved one (the track
    was thinned or its oldest points aged out), instead of being appended."""

    hex: str
    state: bytes
    new_points: list[bytes]
    replace: bool = False


class TrackStore(Protocol):
    """The feed clock and the followed aircraft."""

    async def get_feed_clock(self) -> float | None:
        """The feed time of the last fully processed snapshot."""
        ...

    async def set_feed_clock(self, now: float) -> None: ...

    async def load_aircraft(self, hex_: str) -> bytes | None:
        """The saved engine state of one aircraft, or None."""
        ...

    async def load_track(self, hex_: str) -> list[bytes]:
        """The saved track points of one aircraft, oldest first."""
        ...

    async def save_aircraft(
        self,
        hex_: str,
        state: bytes,
        new_points: list[bytes],
        *,
        max_points: int,
        ttl_s: int,
    ) -> None:
        """Atomically replace the aircraft's state, append track points (keeping the
        newest `max_points`), refresh both expiries and mark the aircraft active."""
        ...

    async def save_aircraft_many(
        self, saves: Sequence[AircraftSave], *, max_points: int, ttl_s: int
    ) -> None:
        """`save_aircraft` for many aircraft in one atomic step (one round trip)."""
        ...

    async def drop_aircraft(self, hex_: str) -> None:
        """Forget an aircraft: state, track and active mark."""
        ...

    async def drop_aircraft_many(self, hexes: Sequence[str]) -> None:
        """`drop_aircraft` for many aircraft in one atomic step (one round trip)."""
        ...

    async def active_aircraft(self) -> set[str]:
        """Addresses that have saved state (expired ones may still be listed)."""
        ...


class EpisodeStore(Protocol):
    """The notification log and what the read API shows of episodes."""

    async def claim_notification(
        self, notification_id: str, *, ttl_s: int, outbox: Sequence[OutboxItem] = ()
    ) -> bool:
        """Record a notification id and enqueue its `outbox` entries, atomically; False
        (and nothing enqueued) if the id was already recorded (a duplicate)."""
        ...

    async def record_notification(
        self, fingerprint: str, payload: bytes, *, resolved: bool, keep: int, ttl_s: int
    ) -> None:
        """Remember a produced notification: push `payload` on the recent list (keeping
        the newest `keep`) and make it the latest of its episode, or forget the episode
        when `resolved`; refresh both expiries to `ttl_s`. One atomic step."""
        ...

    async def recent_notifications(self, limit: int) -> list[bytes]:
        """Up to `limit` recorded notification payloads, newest first."""
        ...

    async def open_episodes(self) -> dict[str, bytes]:
        """Open episodes: fingerprint -> payload of the episode's latest notification."""
        ...


class OutboxStore(Protocol):
    """Notifications waiting for their receivers, given up on, or delivered."""

    async def outbox_pending(self, limit: int = 1000) -> list[OutboxItem]:
        """Up to `limit` pending outbox entries, oldest enqueued first."""
        ...

    async def outbox_depth(self) -> int:
        """How many entries are pending."""
        ...

    async def outbox_update(self, item: OutboxItem) -> None:
        """Save a pending entry's retry state (no-op if it is no longer pending)."""
        ...

    async def outbox_done(self, item: OutboxItem, *, sent_ttl_s: int, sent: bool = True) -> None:
        """Remove a pending entry and, when `sent`, record it in the receiver's sent log,
        atomically. `sent` only after the receiver accepted it; False when it was
        deliberately dropped (silenced, acknowledged, throttled)."""
        ...

    async def outbox_bury(self, item: OutboxItem) -> None:
        """Move a pending entry to the dead letters (item carries `dead_reason`)."""
        ...

    async def dead_letters(self) -> list[OutboxItem]:
        """Every dead letter, in no particular order."""
        ...

    async def resend_dead_letters(self, keys: Sequence[str] | None, *, now: float) -> int:
        """Put dead letters (``<receiver>|<id>`` keys; None: all) back in the outbox as
        fresh entries enqueued at `now`; return how many moved."""
        ...

    async def was_sent(self, receiver: str, notification_id: str) -> bool:
        """True when the receiver's sent log has the id."""
        ...

    async def prune_dead_letters(self, dead_before: float) -> int:
        """Forget dead letters given up on before `dead_before`; how many went."""
        ...


class SilenceStore(Protocol):
    """Silences and acknowledgements."""

    async def add_silence(self, silence: Silence) -> None:
        """Store (or replace, by id) a silence."""
        ...

    async def silences(self) -> list[Silence]:
        """Every stored silence, expired ones included."""
        ...

    async def acknowledge(self, episode_fingerprint: str, record: bytes, *, ttl_s: int) -> None:
        """Mark an episode as acknowledged for `ttl_s` (record: who and when, JSON)."""
        ...

    async def acknowledged(self, episode_fingerprint: str) -> bytes | None:
        """The acknowledgement record of an episode, or None."""
        ...

    async def prune_silences(self, ended_before: float) -> int:
        """Forget silences that ended before `ended_before`; how many went."""
        ...


class BudgetStore(Protocol):
    """What each feed spent of its daily budget."""

    async def spend_budget(self, source: str, day: str, amount: int, *, ttl_s: int) -> int:
        """Add `amount` to what `source` spent on the UTC `day` ("YYYY-MM-DD") and return
        the day's total, atomically across instances; the count expires `ttl_s` after
        the last spend."""
        ...

    async def budget_spent(self, source: str, day: str) -> int:
        """What `source` spent on the UTC `day` (0 when nothing was recorded)."""
        ...


class InstanceStore(Protocol):
    """What running instances share: the liveness heartbeat and leases."""

    async def heartbeat(self, value: bytes, *, ttl_s: int) -> None:
        """Write the liveness key (`value` describes the instance); it expires after
        `ttl_s`, so its absence means no running service renewed it."""
        ...

    async def get_heartbeat(self) -> bytes | None:
        """The liveness value, or None when no service renewed it within its TTL."""
        ...

    async def clear_heartbeat(self) -> None:
        """Delete the liveness key (graceful shutdown)."""
        ...

    async def acquire_lease(self, name: str, holder: str, ttl_s: float) -> bool:
        """Take the lease `name` for `holder` for `ttl_s` seconds, or renew it when
        `holder` already has it; False (nothing changed) while another holder has it."""
        ...

    async def release_lease(self, name: str, holder: str) -> bool:
        """Give the lease up if `holder` has it (compare and delete); True if it did."""
        ...


class Store(
    TrackStore, EpisodeStore, OutboxStore, SilenceStore, BudgetStore, InstanceStore, Protocol
):
    """Every concern of the store, plus its connection."""

    async def ping(self) -> bool:
        """True when the store answers."""
        ...

    async def close(self) -> None: ...


def check_save_args(max_points: int, ttl_s: int) -> None:
    """Reject arguments Redis would reject or silently misread (shared by both stores)."""
    if max_points < 1:
        # LTRIM key -0 -1 would keep the whole list, not none of it.
        raise ValueError(f"max_points must be >= 1, got {max_points}")
    check_ttl(ttl_s)


def check_ttl(ttl_s: int) -> None:
    """Reject a TTL Redis would refuse (EX must be a positive whole number of seconds)."""
    if ttl_s < 1:
        raise ValueError(f"ttl_s must be >= 1, got {ttl_s}")


def check_budget_args(amount: int, ttl_s: int) -> None:
    """Reject a negative spend (a budget only ever fills up) and a bad TTL."""
    if amount < 0:
        raise ValueError(f"amount must be >= 0, got {amount}")
    check_ttl(ttl_s)


def lease_ms(ttl_s: float) -> int:
    """A lease TTL in whole milliseconds (PX), rejecting what Redis would refuse."""
    ms = int(ttl_s * 1000)
    if ms < 1:
        raise ValueError(f"ttl_s must be >= 0.001, got {ttl_s}")
    return ms
