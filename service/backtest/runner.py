"""Run recordings through the real pipeline for the backtest and collect the episodes.

Each recording gets a fresh Pipeline on an in-memory store (whatever store the config
names: a backtest never touches Redis) and the same boundary index. With `watch_all`
every address in the recording is put on the identify watch list as government, so
rules that select state aircraft see the mostly civil development tracks; with
`anywhere` loiter rules drop `abroad_only`, so orbits flown at home count too. A
recording labelled `as_configured` carries its own identities and runs with the rules
as configured (neither option applies); a flight labelled with a `category` is put on
the watch list as that.
"""

from __future__ import annotations

import gzip
import itertools
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import msgspec

from service.alerts.notification import Notification
from service.app import build_pipeline
from service.backtest.labels import RecordingLabels
from service.detect.events import AirspaceFacts, LoiterFacts
from service.locate import Boundaries
from service.metrics import Metrics
from service.models import Category, Identity, is_address
from service.pipeline import Pipeline, replay
from service.settings import LoiterRule, Rule, Settings
from service.store import MemoryStore


@dataclass(slots=True)
class Episode:
    """One alert episode as the backtest sees it."""

    rule_id: str
    rule_type: str
    hex: str
    start: float  # episode start (first position that counted)
    opened_at: float  # feed time of the first notification
    end: float  # ended_at when resolved, else the aircraft's last position heard
    resolved: bool = False
    # foreign_airspace only. Country codes; "" is the high seas.
    country: str | None = None  # the country entered
    came_from: str | None = None  # where it was just before (None: first seen inside)
    exit_to: str | None = None  # where it went when the exit was confirmed
    landfall: str | None = None  # after leaving over the sea: the next country heard in
    shape: str | None = None  # loiter only: the shape the rule reported, when it does


@dataclass(slots=True)
class RecordingRun:
    """The outcome of one recording: its episodes and who was watched."""

    name: str
    snapshots: int
    positions: int
    rejected: dict[str, int]
    seconds: float
    episodes: list[Episode]
    identities: dict[str, Identity] = field(default_factory=dict)  # every selected aircraft
    poll_s: float = 10.0  # median time between snapshots (crossing entries: two polls)


class _Addresses(msgspec.Struct):
    hex: str = ""


class _Line(msgspec.Struct):
    now: float | None = None
    aircraft: list[_Addresses] = []


@dataclass(slots=True)
class Scan:
    """What one pass over a recording tells before it is run."""

    lines: int
    hexes: set[str]
    poll_s: float  # median time between snapshots


def scan(path: Path) -> Scan:
    """Lines, distinct valid addresses (for --watch-all) and the poll interval."""
    decoder = msgspec.json.Decoder(_Line)
    lines, hexes = 0, set[str]()
    times: list[float] = []
    with open(path, "rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    with gzip.open(path, "rb") if compressed else open(path, "rb") as stream:
        for line in stream:
            lines += 1
            try:
                decoded = decoder.decode(line)
            except msgspec.DecodeError:
                continue  # the replay counts bad lines; the scan only needs good ones
            hexes.update(a.hex.lower() for a in decoded.aircraft)
            if decoded.now is not None:
                times.append(decoded.now)
    steps = [b - a for a, b in itertools.pairwise(times) if b > a]
    poll_s = statistics.median(steps) if steps else 10.0
    return Scan(lines, {h for h in hexes if is_address(h)}, poll_s)


def prepare(
    settings: Settings,
    hexes: set[str],
    *,
    watch_all: bool,
    anywhere: bool,
    labels: RecordingLabels | None = None,
) -> Settings:
    """The settings one recording runs with."""
    if labels is not None and labels.as_configured:
        watch_all = anywhere = False
    update: dict[str, object] = {}
    categories = dict(labels.categories) if labels is not None else {}
    if watch_all or categories:
        watch_all_map = {h: Category.GOVERNMENT for h in hexes} if watch_all else {}
        watch = {**watch_all_map, **settings.identify.watch, **categories}
        update["identify"] = settings.identify.model_copy(update={"watch": watch})
    if anywhere:
        rules: list[Rule] = [
            rule.model_copy(update={"abroad_only": False}) if isinstance(rule, LoiterRule) else rule
            for rule in settings.rules
        ]
        update["rules"] = rules
    return settings.model_copy(update=update) if update else settings


async def run_recording(
    settings: Settings,
    boundaries: Boundaries,
    path: Path,
    name: str,
    progress: Callable[[int], None] | None = None,
) -> RecordingRun:
    """Replay one recording on its own clock and return every episode it produced."""
    started = time.monotonic()
    pipeline = build_pipeline(settings, MemoryStore(), Metrics(), boundaries)
    episodes: dict[str, Episode] = {}
    identities: dict[str, Identity] = {}
    last_heard: dict[str, float] = {}
    count = 0
    async for notifications in replay(pipeline, path):
        count += 1
        for notification in notifications:
            _collect(episodes, notification, pipeline)
        # Aircraft silent for a day are dropped from the pipeline: remember them here.
        for hex_, aircraft in pipeline.fleet.aircraft.items():
            identities[hex_] = aircraft.identity
            if aircraft.track.last is not None:
                last_heard[hex_] = aircraft.track.last.time
        if progress is not None:
            progress(count)
    for episode in episodes.values():
        if not episode.resolved:
            episode.end = max(episode.end, last_heard.get(episode.hex, episode.end))
        followed = pipeline.fleet.get(episode.hex)
        if episode.exit_to == "" and followed is not None:
            after = followed.track.since(episode.end)
            episode.landfall = next((p.country for p in after if p.country), None)
    stats = pipeline.stats
    return RecordingRun(
        name=name,
        snapshots=stats.snapshots,
        positions=stats.positions,
        rejected=dict(stats.rejected),
        seconds=time.monotonic() - started,
        episodes=sorted(episodes.values(), key=lambda e: (e.opened_at, e.rule_id, e.hex)),
        identities=identities,
    )


def _collect(episodes: dict[str, Episode], notification: Notification, pipeline: Pipeline) -> None:
    event = notification.event
    episode = episodes.get(notification.fingerprint)
    if episode is None:
        episode = Episode(
            rule_id=notification.rule.id,
            rule_type=notification.rule.type,
            hex=notification.identity.hex,
            start=event.episode_start,
            opened_at=event.at,
            end=event.at,
        )
        if isinstance(event.facts, LoiterFacts):
            # The shape is reported once loiter is a pattern (issue 15); None before.
            episode.shape = getattr(event.facts, "shape", None)
        if isinstance(event.facts, AirspaceFacts):
            episode.country = event.facts.country
            if not event.facts.first_seen_inside:
                episode.came_from = _country_before(pipeline, episode.hex, episode.start)
        episodes[notification.fingerprint] = episode
    episode.end = max(episode.end, event.at)
    if event.kind == "resolved":
        episode.resolved = True
        episode.end = event.ended_at if event.ended_at is not None else event.at
        if isinstance(event.facts, AirspaceFacts) and event.note == "left":
            episode.exit_to = event.point.country or ""


def _country_before(pipeline: Pipeline, hex_: str, time_: float) -> str:
    """Where the aircraft was heard last before `time_` ("" over the high seas)."""
    aircraft = pipeline.fleet.get(hex_)
    if aircraft is not None:
        for point in reversed(aircraft.track.points):
            if point.time < time_:
                return point.country or ""
    return ""


class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    WIDTH = 30

    def __init__(self, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label = ""
        self.total = 1
        self.drawn_at = 0.0

    def start(self, label: str, total: int) -> None:
        """Begin a new item of `total` steps."""
        self.label, self.total, self.drawn_at = label, max(total, 1), 0.0
        self.update(0)

    def update(self, done: int) -> None:
        """Redraw, at most ten times a second."""
        now = time.monotonic()
        if not self.enabled or (now - self.drawn_at < 0.1 and done < self.total):
            return
        self.drawn_at = now
        filled = min(self.WIDTH, self.WIDTH * done // self.total)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        percent = min(100, 100 * done // self.total)
        self.stream.write(f"\r{self.label[:40]:<40} [{bar}] {percent:3d}%")
        self.stream.flush()

    def finish(self) -> None:
        """Erase the bar so the table that follows starts on a clean line."""
        if self.enabled:
            self.stream.write("\r" + " " * (self.WIDTH + 48) + "\r")
            self.stream.flush()
