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
    def clock(self) -> str:
        """Key of the feed clock."""
        return f"{self.prefix}:clock"

    # string: heartbeat of the running service; short EX (a few beats) so it vanishes when it dies
    @property
    def alive(self) -> str:
        """Key of the liveness heartbeat."""
        return f"{self.prefix}:alive"

    @property
    def pattern(self) -> str:
        """A SCAN MATCH pattern matching every key of this deployment and no other."""
        return f"{self.prefix}:*"

    def _entity(self, kind: str, ident: str) -> str:
        # An empty id would silently collide across entities of the same kind.
        if not ident:
            raise ValueError(f"empty {kind} id")
        return f"{self.prefix}:{kind}:{ident}"
