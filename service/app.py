"""Build the pipeline's parts from the settings (the one place that wires them)."""

from __future__ import annotations

from dataclasses import dataclass

from service.identify import Identifier
from service.identify.lists import ListError, load_lists
from service.identify.tables import Designator, OperatorKind
from service.locate import Boundaries
from service.metrics import Metrics
from service.pipeline import Pipeline
from service.settings import ConfigError, Settings
from service.store import open_store
from service.store.base import Store


@dataclass(slots=True)
class App:
    settings: Settings
    store: Store
    metrics: Metrics
    pipeline: Pipeline

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


async def build_app(settings: Settings, metrics: Metrics | None = None) -> App:
    """Open the store, load boundaries and tables, and restore saved state."""
    metrics = metrics or Metrics()
    boundaries = Boundaries.load(settings.boundaries.path)
    redis_url = settings.store.redis_url
    store = open_store(
        redis_url.get_secret_value() if redis_url is not None else None,
        settings.store.key_prefix,
    )
    pipeline = Pipeline(settings, build_identifier(settings), boundaries, store, metrics)
    await pipeline.restore()
    return App(settings=settings, store=store, metrics=metrics, pipeline=pipeline)
