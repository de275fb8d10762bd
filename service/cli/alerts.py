"""`borderwatch silences|ack|deadletters`: operate on the alert lifecycle in the store.

These act on the store of the running service, so they need `store.redis_url` (the
in-process store belongs to one process and would be gone at exit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from service.cli.common import add_config, settings_of
from service.cli.errors import UsageError, address, one_line
from service.settings import ConfigError

if TYPE_CHECKING:
    from service.store.base import Store

# The store and alert modules are imported by the commands that use them, not here:
# every other command starts without Redis and aiohttp loaded.

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """``90m``, ``2h``, ``1d12h`` or plain seconds to seconds."""
    text = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 90m, 2h or 1d")
    return sum(float(n) * _UNIT_S[u] for n, u in parts)


def register(commands: Any) -> None:
    """Add the subcommands to the `borderwatch` parser's subparsers."""
    silences = commands.add_parser("silences", help="mute notifications by rule, aircraft, country")
    actions = silences.add_subparsers(dest="silences_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a silence (at least one of --rule/--hex/--country)")
    add.add_argument("--rule", help="rule id, e.g. loiter")
    add.add_argument("--hex", type=address, help="aircraft address, e.g. ae2fd0")
    add.add_argument("--country", help="country (alpha-2) the notification is about, e.g. MX")
    add.add_argument("--for", dest="duration", type=parse_duration, required=True,
                     help="how long, e.g. 90m, 2h, 1d")  # fmt: skip
    add.add_argument("--comment", default="", help="why (shown in listings)")
    add.set_defaults(func=_run(_silences_add))
    listing = actions.add_parser("list", help="list silences (active ones unless --all)")
    listing.add_argument("--all", action="store_true", help="include expired silences")
    listing.set_defaults(func=_run(_silences_list))
    expire = actions.add_parser("expire", help="end a silence now")
    expire.add_argument("id")
    expire.set_defaults(func=_run(_silences_expire))

    ack = commands.add_parser("ack", help="acknowledge an episode: its repeats stop")
    ack.add_argument("fingerprint", help="the episode's fingerprint (in every notification)")
    ack.add_argument("--by", default="cli", help="who acknowledges (recorded)")
    ack.set_defaults(func=_run(_ack))

    dead = commands.add_parser("deadletters", help="notifications given up on")
    dead_actions = dead.add_subparsers(dest="deadletters_command", required=True, metavar="ACTION")
    dead_list = dead_actions.add_parser("list", help="list dead letters (JSON lines)")
    dead_list.set_defaults(func=_run(_dead_list))
    resend = dead_actions.add_parser("resend", help="put dead letters back in the outbox")
    resend.add_argument("keys", nargs="*", metavar="RECEIVER|ID",
                        help="which ones (as listed under key); none: all")  # fmt: skip
    resend.set_defaults(func=_run(_dead_resend))
    for sub in (add, listing, expire, ack, dead_list, resend):
        add_config(sub)


Action = Callable[["Store", argparse.Namespace, float], Awaitable[int]]


def _run(action: Action) -> Callable[[argparse.Namespace], int]:
    def command(args: argparse.Namespace) -> int:
        from service.alerts.silences import SilenceError
        from service.store import RedisStore

        settings = settings_of(args)
        url = settings.store.redis_url
        if url is None:
            raise ConfigError(
                "store.redis_url is empty: set it (BORDERWATCH_REDIS_URL) to the Redis of the "
                "running service; these commands act on its store"
            )
        store = RedisStore(url.get_secret_value(), prefix=settings.store.key_prefix)

        async def go() -> int:
            try:
                return await action(store, args, time.time())
            finally:
                await store.close()

        try:
            return asyncio.run(go())
        except SilenceError as exc:
            raise UsageError(str(exc)) from None

    return command


def _print(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False))


async def _silences_add(store: Store, args: argparse.Namespace, now: float) -> int:
    from service.alerts.silences import new_silence, silence_json

    silence = new_silence(rule=args.rule, hex_=args.hex, country=args.country,
                          duration_s=args.duration, comment=args.comment, now=now)  # fmt: skip
    await store.add_silence(silence)
    _print(silence_json(silence, now))
    return 0


async def _silences_list(store: Store, args: argparse.Namespace, now: float) -> int:
    from service.alerts.silences import silence_json

    for silence in sorted(await store.silences(), key=lambda s: s.created_at):
        if args.all or silence.active(now):
            _print(silence_json(silence, now))
    return 0


async def _silences_expire(store: Store, args: argparse.Namespace, now: float) -> int:
    from service.alerts.silences import expire_silence

    if await expire_silence(store, args.id, now):
        return 0
    print(f"borderwatch: no active silence {one_line(args.id)}", file=sys.stderr)
    return 1


async def _ack(store: Store, args: argparse.Namespace, now: float) -> int:
    from service.alerts.silences import acknowledge

    await acknowledge(store, args.fingerprint, by=args.by, now=now)
    _print({"acknowledged": args.fingerprint, "by": args.by})
    return 0


async def _dead_list(store: Store, args: argparse.Namespace, now: float) -> int:
    from service.alerts.silences import dead_letter_json

    for item in sorted(await store.dead_letters(), key=lambda i: i.dead_at):
        _print(dead_letter_json(item))
    return 0


async def _dead_resend(store: Store, args: argparse.Namespace, now: float) -> int:
    moved = await store.resend_dead_letters(args.keys or None, now=now)
    _print({"resent": moved})
    return 0
