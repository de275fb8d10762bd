"""The history's place in the pipeline: after the detect stage, each new point of a
followed aircraft and each event become rows for the writer (and the seconds flown
abroad a metric); after a restart, what the store still holds is written again.

Writing is idempotent (natural keys), so writing again what was written before a
crash adds nothing, and whatever the crash kept from the file is filled in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import msgspec
import structlog

from service.alerts.payload import decode
from service.detect.events import Event
from service.history.recorder import EpisodeRow, PointRow, Recorder, episode_of_event
from service.history.recorder import episode_of_payload as _of_payload
from service.history.writer import HistoryWriter
from service.metrics import Metrics
from service.models import Identity, Position
from service.store.base import Store, StoreError
from service.track.fleet import Aircraft, Fleet

log = structlog.get_logger(__name__)


class RowSink(Protocol):
    """Where a `History` hands its rows: the file's writer, or an import worker's
    collector (service/history/importer.py)."""

    def put(
        self, points: list[PointRow], episodes: list[EpisodeRow], *, wait: bool = False
    ) -> bool: ...

    def flush(self, timeout_s: float | None = None) -> bool: ...

    def close(self, timeout_s: float | None = None) -> None: ...


class History:
    """Feeds the history writer from the pipeline (`observe`) and from the store."""

    def __init__(
        self,
        writer: RowSink,
        recorder: Recorder,
        rule_types: dict[str, str],
        metrics: Metrics | None = None,
        *,
        wait: bool = False,
    ) -> None:
        """`rule_types`: rule id -> rule type; `wait`: an import waits for the writer
        rather than drop rows when it falls behind."""
        self.writer = writer
        self.recorder = recorder
        self.rule_types = rule_types
        self.metrics = metrics
        self.wait = wait
        self.events = 0  # events handed to the writer (an import's summary counts them)

    def observe(
        self,
        fleet: Fleet,
        selected: Sequence[tuple[Position, Identity]],
        events: Sequence[tuple[Aircraft, Event]],
    ) -> None:
        """The rows of one snapshot: the new points of the selected aircraft (sampled),
        each event's episode and point."""
        recorder = self.recorder
        points: list[PointRow] = []
        for position, _ in selected:
            aircraft = fleet.get(position.hex)
            if aircraft is None:
                continue
            last = aircraft.track.last
            if last is None or last.time != position.time:
                continue  # not added to the track (too close, refused)
            rows, abroad = recorder.observe(aircraft.identity, last)
            points.extend(rows)
            if abroad is not None and self.metrics is not None:
                identity = aircraft.identity
                self.metrics.foreign_airspace_seconds.labels(
                    identity.state or "", abroad[0], identity.category
                ).inc(abroad[1])
        episodes: list[EpisodeRow] = []
        for aircraft, event in events:
            rule_type = self.rule_types.get(event.rule_id, "")
            episodes.append(episode_of_event(aircraft.identity, rule_type, event, aircraft.track))
            kept = recorder.keep(aircraft.identity, event.point)
            if kept is not None:
                points.append(kept)
        self.events += len(episodes)
        self.writer.put(points, episodes, wait=self.wait)

    def forget(self, hexes: Iterable[str]) -> None:
        """Aircraft the fleet forgot: write their last points."""
        self.writer.put(self.recorder.forget(hexes), [], wait=self.wait)

    async def rederive(self, fleet: Fleet, store: Store, recent: int) -> tuple[int, int]:
        """After a (re)start: write again the restored tracks and the episodes of the
        notifications the store still holds (open ones, the `recent` latest). Returns
        (points, episodes) handed to the writer."""
        points: list[PointRow] = []
        for aircraft in fleet:
            for point in aircraft.track.points:
                points.extend(self.recorder.observe(aircraft.identity, point)[0])
        bodies: list[bytes] = []
        try:
            bodies.extend((await store.open_episodes()).values())
            bodies.extend(await store.recent_notifications(recent))
        except StoreError as exc:
            log.warning("history.rederive_incomplete", error=str(exc))
        episodes = []
        for body in bodies:
            try:
                episodes.append(_of_payload(decode(body)))
            except (msgspec.DecodeError, ValueError):
                continue  # not a payload of this version: nothing to write again
        self.writer.put(points, episodes, wait=True)
        return len(points), len(episodes)

    @property
    def file(self) -> HistoryWriter:
        """The writer of the history file (reads for the API, the file's path)."""
        assert isinstance(self.writer, HistoryWriter), "a collecting history has no file"
        return self.writer

    def close(self, timeout_s: float | None = None) -> None:
        """Write the held last points and everything waiting, then close the file."""
        self.writer.put(self.recorder.held(), [], wait=True)
        self.writer.close(timeout_s)
