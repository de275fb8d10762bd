"""The composition root: builds the service's parts from the settings and wires them.

Nothing else constructs stages, stores or workers; commands and the runtime ask this
module for what they need and run it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import aiohttp

from service import __version__, commit
from service.alerts.notifier import Notifier
from service.deliver.lifecycle import Skip
from service.deliver.outbox import OutboxWorker
from service.deliver.policy import DeliveryOutcome
from service.detect.rules import Detector
from service.feeds import running
from service.feeds.normalise import REJECT_REASONS
from service.feeds.running import RunningFeed
from service.feeds.status import FeedStatus
from service.history.recorder import Recorder
from service.history.retention import Retention
from service.history.tap import History
from service.history.writer import HistoryWriter
from service.identify import Identifier
from service.identify.candidates import CandidateBook
from service.identify.lists import ListError, load_lists
from service.identify.select import Selector
from service.identify.tables import Designator, OperatorKind
from service.locate import Boundaries
from service.locate.areas import Areas
from service.locate.locator import Locator
from service.locate.places import load_airports, use_towns
from service.metrics import Metrics
from service.pipeline import Pipeline
from service.render.maps import MapRenderer
from service.settings import ConfigError, Receiver, Settings
from service.store import open_store
from service.store.base import Store
from service.store.health import StoreHealth
from service.track.fleet import Fleet


@dataclass(slots=True)
class App:
    """The parts of one running service (or offline command) and what they share."""

    settings: Settings
    store: Store
    metrics: Metrics
    boundaries: Boundaries
    pipeline: Pipeline
    maps: MapRenderer
    history: History | None = None  # the durable history, when `borderwatch run` keeps it
    restored: bool = True  # the saved state is loaded (`borderwatch run` may start without)

    @property
    def fleet(self) -> Fleet:
        """The followed aircraft (the read API and the maps look at them)."""
        return self.pipeline.fleet

    @property
    def candidates(self) -> CandidateBook:
        """Aircraft seen on weak evidence only, for review."""
        return self.pipeline.select.candidates

    async def close(self) -> None:
        await self.store.close()


def build_identifier(settings: Settings) -> Identifier:
    """The Identifier the settings describe; reads the `identify.lists` files.

    Raises ConfigError naming the key when a list cannot be read.
    """
    identify = settings.identify
    try:
        lists = load_lists(identify.lists)
    except ListError as exc:
        raise ConfigError(f"identify.lists: {exc}") from None
    added = {
        icao: Designator(
            icao=icao,
            telephony="",
            name=addition.name or f"{icao} (identify.designators_add)",
            iso2=addition.iso2,
            kind=OperatorKind(addition.category.value),
            note="identify.designators_add",
        )
        for icao, addition in identify.designators_add.items()
    }
    return Identifier(
        use_db_flags=identify.use_db_flags,
        military_ranges=identify.military_ranges,
        designators=identify.designators,
        registration_patterns=identify.registration_patterns,
        watch_hexes={hex_: str(category) for hex_, category in identify.watch.items()},
        lists=lists,
        watch_registrations={k: str(v) for k, v in identify.watch_registrations.items()},
        watch_callsigns={k: str(v) for k, v in identify.watch_callsigns.items()},
        designators_add=added,
        designators_exclude=identify.designators_exclude,
    )


def build_pipeline(
    settings: Settings,
    store: Store,
    metrics: Metrics,
    boundaries: Boundaries,
    *,
    receivers: tuple[Receiver, ...] | list[Receiver] = (),
) -> Pipeline:
    """The stages the settings describe, on `store`; deliveries are queued for
    `receivers` (none: notifications are only produced). Raises TownsError when the
    towns file (`boundaries.towns`) cannot be read."""
    use_towns(settings.boundaries.towns_path)
    detect = Detector(settings.rules)
    areas = Areas.load((area.name, area.path) for area in settings.areas)
    return Pipeline(
        select=Selector(
            build_identifier(settings),
            CandidateBook(settings.identify.candidates_max),
            detect.wants,
        ),
        locate=Locator(boundaries, areas),
        fleet=Fleet(
            store,
            settings.track,
            aircraft_ttl_s=settings.store.aircraft_ttl_s,
            history_s=detect.history_s(),
        ),
        detect=detect,
        notify=Notifier(
            store,
            detect.rules,
            metrics,
            receivers=receivers,
            links=settings.links,
            log_ttl_s=settings.store.notification_log_ttl_s,
        ),
        metrics=metrics,
    )


async def build_app(
    settings: Settings,
    metrics: Metrics | None = None,
    *,
    deliver: bool = False,
    restore: bool = True,
) -> App:
    """Open the store, load boundaries and tables, and (with `restore`) the saved
    state. With `deliver`, notifications are queued for the configured receivers."""
    metrics = metrics or Metrics()
    boundaries = Boundaries.load(settings.boundaries.path)
    redis_url = settings.store.redis_url
    health = StoreHealth(metrics)
    store = open_store(
        redis_url.get_secret_value() if redis_url is not None else None,
        settings.store.key_prefix,
        hooks=health,
    )
    receivers = settings.receivers if deliver else []
    pipeline = build_pipeline(settings, store, metrics, boundaries, receivers=receivers)
    if restore:
        await pipeline.restore()
    maps = MapRenderer(boundaries, pipeline.fleet, store)
    return App(
        settings=settings,
        store=store,
        metrics=metrics,
        boundaries=boundaries,
        pipeline=pipeline,
        maps=maps,
        restored=restore,
    )


@dataclass(frozen=True, slots=True)
class WarmUp:
    """What `warm_up` built and how long it took."""

    countries: int
    airports: int
    seconds: float


def warm_up(app: App) -> WarmUp:
    """Build now what the first snapshots would otherwise build lazily inside the poll
    loop: every country's border-depth index (unless `boundaries.warm_up` is false),
    the prepared polygons' point indexes (`Boundaries.warm_up`), and the airports
    table (the towns and the identify tables are loaded by `build_app` already).

    Blocking and CPU-bound (about 1.5 s): the service runs it in a worker thread before
    its first snapshot, while the feeds already poll. The pipeline must not run
    meanwhile (the indexes are built into shared dictionaries).
    """
    began = time.perf_counter()
    app.boundaries.warm_up(borders=app.settings.boundaries.warm_up)
    airports = load_airports()
    seconds = time.perf_counter() - began
    return WarmUp(app.boundaries.countries_indexed, airports, seconds)


def declare_metrics(app: App, started_at: float) -> None:
    """Every series the dashboard and the alerting rules read, at 0 from the start,
    for the configured rules, receivers and feeds (service/metrics.py)."""
    settings = app.settings
    app.metrics.declare(
        version=__version__,
        commit=commit(),
        rules=[rule.id for rule in settings.rules],
        receivers=[receiver.name for receiver in settings.receivers],
        delivery_outcomes=[*DeliveryOutcome, *Skip],
        feeds=[feed.name for feed in settings.feeds if feed.enabled],
        reject_reasons=REJECT_REASONS,
        started_at=started_at,
    )


def build_history(
    settings: Settings, pipeline: Pipeline, metrics: Metrics | None, *, wait: bool = False
) -> History:
    """Open the history file (`history.path`) and attach its tap to `pipeline`.

    Raises HistoryError (service.history.writer) when the file cannot be opened.
    `wait`: an import waits for the writer instead of dropping rows."""
    history = settings.history
    on_drop = None
    if metrics is not None:
        dropped = metrics.history_dropped

        def on_drop(reason: str, rows: int) -> None:
            dropped.labels(reason).inc(rows)

    writer = HistoryWriter(
        history.file(settings.boundaries.path),
        batch_rows=history.batch_rows,
        flush_interval_s=history.flush_interval_s,
        queue_max=history.queue_max,
        on_drop=on_drop,
        # An import loads old data on purpose: only the service prunes.
        retention=None
        if wait
        else Retention(history.points_retention_days, history.episodes_retention_days),
    )
    tap = History(
        writer,
        Recorder(history.sample_s, history.gap_s),
        {rule.id: rule.type for rule in settings.rules},
        metrics,
        wait=wait,
    )
    pipeline.history = tap
    return tap


def build_worker(app: App, session: aiohttp.ClientSession) -> OutboxWorker:
    """The delivery worker for the configured receivers, with maps drawn from `app`."""
    settings = app.settings
    return OutboxWorker(
        app.store,
        session,
        settings.receivers,
        app.metrics,
        sent_ttl_s=settings.store.notification_log_ttl_s,
        draw_map=app.maps.for_item,
        lease_ttl_s=settings.store.delivery_lease_ttl_s,
        dead_letter_ttl_s=settings.store.dead_letter_ttl_s,
        silence_ttl_s=settings.store.silence_ttl_s,
    )


def build_feeds(
    app: App, session: aiohttp.ClientSession, statuses: dict[str, FeedStatus]
) -> list[RunningFeed]:
    """A running loop per enabled feed, reporting into `statuses`."""
    settings = app.settings
    return running.build_feeds(
        settings.feeds,
        session,
        app.metrics,
        watch=settings.identify.watch,
        statuses=statuses,
        store=app.store,
    )
