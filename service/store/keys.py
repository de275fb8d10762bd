"""Every Redis key name borderwatch uses, in one place.

Keys have the shape ``<prefix>:<kind>:<id>`` (or ``<prefix>:<kind>`` for singletons) so
that several deployments can share one Redis database and an operator can find, count
or delete everything of one deployment with ``SCAN MATCH <prefix>:*``. Nothing outside
this module should build a key by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_PREFIX = "borderwatch"

# Same rule as the `store.key_prefix` setting. It also keeps glob characters (* ? [ ] \)
# and ':' out of the prefix, so `pattern` matches exactly this deployment's keys.
_PREFIX_RE = re.compile(r"[A-Za-z0-9_.-]{1,32}")


@dataclass(frozen=True, slots=True)
class KeySpace:
    """Builds the key names of one deployment (one prefix)."""

    prefix: str = DEFAULT_PREFIX

    def __post_init__(self) -> None:
        if not _PREFIX_RE.fullmatch(self.prefix):
            raise ValueError(f"invalid key prefix {self.prefix!r}: use 1-32 of [A-Za-z0-9_.-]")

    # string: msgspec engine state; EX aircraft TTL renewed per save, so unseen aircraft age out
    def aircraft(self, hex_: str) -> str:
        """Key of one aircraft's saved engine state."""
        return self._entity("aircraft", hex_)

    # list: msgspec points oldest first, newest max_points kept; EX as its aircraft key (same life)
    def track(self, hex_: str) -> str:
        """Key of one aircraft's saved track points."""
        return self._entity("track", hex_)

    # set of hex with saved state; EX aircraft TTL per save: dies only after a TTL with no saves
    @property
    def active(self) -> str:
        """Key of the set of aircraft that have saved state."""
        return f"{self.prefix}:active"

    # string "1" set NX per produced notification id; EX log TTL: dedup window, bounded size
    def notified(self, notification_id: str) -> str:
        """Key recording that one notification id was already produced."""
        return self._entity("notified", notification_id)

    # string: float feed time of the last processed snapshot; no TTL: the resume point must stay
    @property
    def feed_clock(self) -> str:
        """Key of the feed clock."""
        return f"{self.prefix}:clock"

    # string: heartbeat of the running service; short EX (a few beats) so it vanishes when it dies
    @property
    def alive(self) -> str:
        """Key of the liveness heartbeat."""
        return f"{self.prefix}:alive"

    # list: JSON notification payloads, newest first, LTRIM to http.recent_alerts_max;
    # EX notification log TTL renewed per push, so a deployment quiet that long forgets them
    @property
    def recent(self) -> str:
        """Key of the list of recent notifications (GET /api/alerts)."""
        return f"{self.prefix}:recent"

    # hash fingerprint -> JSON payload of the episode's latest notification; HDEL when
    # resolved; EX notification log TTL renewed per write (GET /api/episodes)
    @property
    def episodes(self) -> str:
        """Key of the hash of open alert episodes."""
        return f"{self.prefix}:episodes"

    # zset of "<receiver>|<id>" scored by enqueue order (outbox_seq); no TTL: an outbox
    # entry leaves only when delivered or buried, never by expiry
    @property
    def outbox_queue(self) -> str:
        """Key of the outbox order: pending entries, oldest first."""
        return f"{self.prefix}:outbox:queue"

    # hash "<receiver>|<id>" -> msgspec OutboxItem; no TTL (see outbox_queue)
    @property
    def outbox_items(self) -> str:
        """Key of the pending outbox entries themselves."""
        return f"{self.prefix}:outbox:items"

    # string counter INCRed per enqueue; no TTL: the order must keep growing across restarts
    @property
    def outbox_seq(self) -> str:
        """Key of the outbox enqueue counter."""
        return f"{self.prefix}:outbox:seq"

    # hash "<receiver>|<id>" -> msgspec OutboxItem with dead_reason; no TTL: kept until re-sent,
    # deleted by an operator, or pruned store.dead_letter_ttl_s after it died
    @property
    def dead_letters(self) -> str:
        """Key of the dead letters."""
        return f"{self.prefix}:deadletters"

    # string "1" per (receiver, id) delivered; EX log TTL: the per-receiver notification log,
    # written only after a successful send
    def sent(self, receiver: str, notification_id: str) -> str:
        """Key recording that one notification reached one receiver."""
        return self._entity("sent", f"{receiver}:{notification_id}")

    # hash silence id -> msgspec Silence; no TTL: an ended silence stays listable until it is
    # pruned store.silence_ttl_s after it ended
    @property
    def silences(self) -> str:
        """Key of the silences."""
        return f"{self.prefix}:silences"

    # string JSON {"by", "at"} per acknowledged episode fingerprint; EX ack TTL
    def ack(self, episode_fingerprint: str) -> str:
        """Key marking one alert episode as acknowledged."""
        return self._entity("ack", episode_fingerprint)

    # string integer INCRBY per request (OpenSky: per credit) a feed source spent on one
    # UTC day ("YYYY-MM-DD"); EX about two days, set with each spend, so it outlives its day
    def budget(self, source: str, day: str) -> str:
        """Key of one feed source's budget spent on one UTC day."""
        return self._entity("budget", f"{source}:{day}")

    # string holder id ("host:pid:random") SET NX PX by the instance holding the lease,
    # PEXPIREd by it while it lives, deleted by it on shutdown; expires if it dies
    def lease(self, name: str) -> str:
        """Key of one lease (e.g. "delivery": the one instance that delivers)."""
        return self._entity("lease", name)

    @property
    def pattern(self) -> str:
        """A SCAN MATCH pattern matching every key of this deployment and no other."""
        return f"{self.prefix}:*"

    def _entity(self, kind: str, ident: str) -> str:
        # An empty id would silently collide across entities of the same kind.
        if not ident:
            raise ValueError(f"empty {kind} id")
        return f"{self.prefix}:{kind}:{ident}"
