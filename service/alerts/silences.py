"""Silences, acknowledgements and dead letters as operators handle them (CLI and API).

A silence mutes the notifications that match all of its matchers (rule id, aircraft
address, country) until it expires; it is checked when a notification is about to be
sent (service/deliver/lifecycle.py). Acknowledging an episode stops its repeats
("still inside", "still loitering" updates); its resolution is still sent.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import msgspec

from service.alerts.payload import iso
from service.models import is_address
from service.store.base import Store
from service.store.records import OutboxItem, Silence

ACK_TTL_S = 30 * 86400  # an episode acknowledged a month ago has long ended
_COUNTRY = re.compile(r"[A-Z]{2}")


class SilenceError(ValueError):
    """A silence or acknowledgement request is invalid; the message says why."""


def new_silence(
    *,
    rule: str | None,
    hex_: str | None,
    country: str | None,
    duration_s: float,
    comment: str,
    now: float,
) -> Silence:
    """A validated silence starting `now`; at least one matcher is required."""
    hex_ = hex_.strip().lower() if hex_ else None
    country = country.strip().upper() if country else None
    if not (rule or hex_ or country):
        raise SilenceError("a silence needs at least one of rule, hex or country")
    if hex_ is not None and not is_address(hex_):
        raise SilenceError(f"hex {hex_!r} is not a 24-bit ICAO address (6 hex digits)")
    if country is not None and not _COUNTRY.fullmatch(country):
        raise SilenceError(f"country {country!r} is not an ISO 3166-1 alpha-2 code")
    if not 0 < duration_s <= 365 * 86400:
        raise SilenceError("duration must be more than 0 and at most a year")
    return Silence(
        id=uuid.uuid4().hex[:12],
        rule=rule or None,
        hex=hex_,
        country=country,
        until=now + duration_s,
        created_at=now,
        comment=comment[:500],
    )


async def expire_silence(store: Store, silence_id: str, now: float) -> bool:
    """End a silence now; False when there is no such active silence."""
    for silence in await store.silences():
        if silence.id == silence_id and silence.active(now):
            await store.add_silence(_replace_until(silence, now))
            return True
    return False


def _replace_until(silence: Silence, until: float) -> Silence:
    return msgspec.structs.replace(silence, until=until)


async def acknowledge(store: Store, fingerprint: str, *, by: str, now: float) -> None:
    """Acknowledge an episode (by its fingerprint): its updates stop."""
    if not re.fullmatch(r"[0-9a-f]{32}", fingerprint):
        raise SilenceError("fingerprint must be the 32 hex digits of a notification's episode")
    record = json.dumps({"by": by[:100], "at": iso(now)}).encode()
    await store.acknowledge(fingerprint, record, ttl_s=ACK_TTL_S)


def silence_json(silence: Silence, now: float) -> dict[str, Any]:
    """A silence as the CLI and API show it."""
    return {
        "id": silence.id,
        "rule": silence.rule,
        "hex": silence.hex,
        "country": silence.country,
        "created_at": iso(silence.created_at),
        "until": iso(silence.until),
        "active": silence.active(now),
        "comment": silence.comment,
    }


def dead_letter_json(item: OutboxItem) -> dict[str, Any]:
    """A dead letter as the CLI and API show it (the payload included)."""
    return {
        "key": item.key,
        "receiver": item.receiver,
        "id": item.id,
        "rule": item.rule,
        "kind": item.kind,
        "sequence": item.sequence,
        "attempts": item.attempts,
        "last_error": item.last_error,
        "reason": item.dead_reason,
        "queued_at": iso(item.enqueued_at),
        "dead_at": iso(item.dead_at),
        "payload": json.loads(bytes(item.payload)),
    }
