"""The `apprise` receiver kind: the long tail of services (ntfy, Telegram, Matrix, email,
... about a hundred) through the apprise library, one notification per message.

Everything around the attempt is the native receivers': the durable outbox, routing,
silences, acknowledgements, the retry policy and dead letters (outbox.py). Only the
attempt differs. apprise does its own blocking I/O (requests, smtplib), so an attempt
runs in a thread of its own (never in the event loop's default pool, which also
resolves host names for every aiohttp request) and is bounded twice: the wait for the
thread ends at the receiver's `timeout_s` whatever apprise does, and apprise's socket
connect and read timeouts, cut to just past it, end the thread soon after. apprise answers only
"sent" or "not sent", so every failure (not sent, an exception, the timeout) is
retried with the receivers' backoff until the notification becomes a dead letter;
nothing is refused at once as a 4xx is.

The URL holds the service's credentials: it is a secret. apprise's own log lines can
name it (a topic, a host, a token), and so can those of urllib3 beneath it, so their
loggers are cut off from every output (`load`); this module logs nothing about an
attempt but what outbox.py logs for every receiver (its name, the ids, the outcome).

The message is plain text: title, summary, facts, links, rule and episode. Feed text
(callsign, registration, type, place) cannot mention anyone or form markup in the
services that parse some: control and invisible characters are removed, ``@`` is
followed by a zero-width space, and ``< > [ ]`` become look-alikes (apprise escapes
plain text for HTML services; older versions pass it to Markdown services as is).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Final

from service.alerts.payload import Payload
from service.deliver.policy import DeliveryOutcome
from service.deliver.text import clean, clip, facts, links, title
from service.deliver.transport import Attempt

MISSING: Final = (
    "the apprise receiver needs the apprise package: pip install 'borderwatch[apprise]'"
)
TITLE_MAX: Final = 250
SUMMARY_MAX: Final = 1000
FACT_MAX: Final = 200
# apprise's socket timeouts end this long after the attempt's own wait has ended.
SOCKET_MARGIN_S: Final = 1.0
# Outcome labels of an attempt (the `outcome` label of borderwatch_delivery_attempts_total).
SENT, FAILED, ERROR, TIMEOUT, BUSY = "sent", "failed", "error", "timeout", "busy"

_NOTIFY_TYPE = {"critical": "failure", "warning": "warning", "info": "info"}


# apprise's lines name topics, hosts and tokens; urllib3 (under requests, which only
# apprise uses here) names the host and the path, where Telegram's bot token sits.
_SILENCED = ("apprise", "urllib3", "requests_oauthlib")


class AppriseMissing(RuntimeError):
    """The apprise package is not installed."""


@dataclass(frozen=True, slots=True)
class Push:
    """One message for apprise: title, plain-text body, and apprise's notify type."""

    title: str
    body: str
    notify_type: str  # info, success, warning, failure


def load() -> ModuleType:
    """The apprise package, its loggers cut off from every output; AppriseMissing when
    it is not installed."""
    for name in _SILENCED:
        logger = logging.getLogger(name)
        if not logger.handlers:
            # Without a handler of its own, Python's last-resort handler would print
            # its warnings to stderr.
            logger.addHandler(logging.NullHandler())
        logger.propagate = False
    try:
        import apprise
    except ImportError:
        raise AppriseMissing(MISSING) from None
    return apprise


def url_problem(url: str) -> str | None:
    """Why apprise cannot use `url`, in one line without the URL; None when it can."""
    try:
        apprise = load()
    except AppriseMissing as exc:
        return str(exc)
    if "://" not in url:
        return "url must be an apprise URL such as ntfy://host/topic or tgram://token/chat"
    if apprise.Apprise.instantiate(url, asset=_asset(apprise)) is None:
        scheme = url.split("://", 1)[0]
        shown = scheme if scheme.isalnum() and len(scheme) <= 16 else "its scheme"
        return f"apprise cannot use this url ({shown}:// unknown, or the rest malformed)"
    return None


def _asset(apprise: ModuleType) -> object:
    # Sequential (the attempt already has its thread) and nothing written to disk.
    return apprise.AppriseAsset(async_mode=False, storage_mode="memory")


def plain(text: str) -> str:
    """Feed text made harmless for any service apprise reaches (see the module doc)."""
    text = clean(text).replace("@", "@\u200b")
    return text.translate(_LOOKALIKE)


_LOOKALIKE = str.maketrans({"<": "‹", ">": "›", "[": "［", "]": "］"})


def message(payload: Payload) -> Push:
    """The plain-text message for one notification."""
    lines = [clip(plain(payload.summary), SUMMARY_MAX), ""]
    for name, value, feed in facts(payload):
        lines.append(f"{name}: {clip(plain(value), FACT_MAX) if feed else value}")
    shown = links(payload)
    if shown:
        lines.append("")
        # Labels and URLs are checked by the configuration and quoted: shown as they are.
        lines.extend(f"{label}: {url}" for label, url in shown)
    rule = payload.rule
    lines += [
        "",
        f"{rule.severity} · rule {rule.id} · {payload.kind} #{payload.sequence} · "
        f"episode {payload.fingerprint} (to borderwatch ack)",
    ]
    notify_type = "success" if payload.status == "resolved" else _NOTIFY_TYPE[rule.severity]
    return Push(clip(plain(title(payload)), TITLE_MAX), "\n".join(lines), notify_type)


class AppriseSender:
    """Sends pushes through apprise, each attempt in a thread of its own.

    The threads are daemons: one still inside apprise when the service stops (its
    answer no longer awaited) cannot hold the process past its exit deadline; the
    notification is still in the outbox and is sent again after the restart. At most
    `threads` run at once; threads that outlived their attempt's timeout count, and an
    attempt finding none free is retried later (outcome `busy`).
    """

    def __init__(self, threads: int) -> None:
        self.slots = threading.BoundedSemaphore(threads)
        self.closed = False

    async def send(self, url: str, push: Push, *, timeout_s: float) -> Attempt:
        """One attempt; every failure is an `Attempt` to retry, never an exception."""
        if self.closed or not self.slots.acquire(blocking=False):
            return Attempt(BUSY, None)
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[str] = loop.create_future()

        def attempt() -> None:
            try:
                label = _notify(url, push, timeout_s)
            finally:
                self.slots.release()
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                loop.call_soon_threadsafe(_settle, answer, label)

        threading.Thread(target=attempt, name="apprise", daemon=True).start()
        try:
            # asyncio.timeout, not wait_for: see outbox.wait_at_most. A thread still
            # inside apprise runs on until its socket timeouts end it; its answer is
            # then dropped, and the retry is a new attempt with the same id.
            async with asyncio.timeout(timeout_s):
                label = await answer
        except TimeoutError:
            return Attempt(TIMEOUT, None)
        return Attempt(label, DeliveryOutcome.DELIVERED if label == SENT else None)

    def close(self) -> None:
        """Start no more attempts (those inside apprise end with their timeouts)."""
        self.closed = True


def _settle(answer: asyncio.Future[str], label: str) -> None:
    if not answer.done():  # not given up on (timed out, cancelled)
        answer.set_result(label)


def _notify(url: str, push: Push, timeout_s: float) -> str:
    """One apprise notification, in its thread: SENT, FAILED or ERROR."""
    try:
        apprise = load()
        asset = _asset(apprise)
        plugin = apprise.Apprise.instantiate(url, asset=asset)
        if plugin is None:  # the configuration checked it: apprise changed its mind
            return ERROR
        # apprise's cto/rto (seconds for the connection, and for each read), cut to just
        # past the receiver's timeout unless the URL asked for less: the attempt's own
        # wait ends first (outcome `timeout`), and these end the thread soon after.
        backstop = timeout_s + SOCKET_MARGIN_S
        plugin.socket_connect_timeout = min(plugin.socket_connect_timeout, backstop)
        plugin.socket_read_timeout = min(plugin.socket_read_timeout, backstop)
        manager = apprise.Apprise(asset=asset)
        manager.add(plugin)
        # Through the manager, not the plugin: it converts the text for HTML and
        # Markdown services (escaping it).
        sent = manager.notify(
            body=push.body,
            title=push.title,
            notify_type=apprise.NotifyType(push.notify_type),
            body_format=apprise.NotifyFormat.TEXT,
        )
    except Exception:  # a plugin's bug must not end the worker; never logged (the URL)
        return ERROR
    return SENT if sent else FAILED
