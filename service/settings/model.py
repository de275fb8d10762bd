"""The whole configuration as one typed model (config/borderwatch.yaml).

The sections live in their own modules (rules, feeds, receivers, identify, http); this
one holds the small sections (store, boundaries, areas, track) and the root `Settings`,
which checks what spans sections (unique names, areas that rules name).
`borderwatch config schema` prints the JSON Schema generated from these models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, PrivateAttr, field_validator, model_validator

from service.settings.feeds import FeedSettings
from service.settings.fields import ROOT, ConfigPath, OptionalSecret, empty_is_none
from service.settings.fields import Model as _Model
from service.settings.fields import require_unique as _require_unique
from service.settings.history import HistorySettings
from service.settings.http import HttpSettings
from service.settings.identify import IdentifySettings
from service.settings.links import DEFAULT_LINKS, Link
from service.settings.receivers import Receiver, default_type
from service.settings.rules import Rule


class StoreSettings(_Model):
    redis_url: OptionalSecret = Field(
        default=None,
        description="redis:// URL; empty or absent: the in-process store (state lost on exit).",
    )
    key_prefix: str = Field(
        default="borderwatch",
        pattern=r"^[A-Za-z0-9_.-]{1,32}$",
        description="Every Redis key starts with this and a colon.",
    )
    aircraft_ttl_s: int = Field(
        default=86400, gt=0, description="Saved aircraft state expires after this long unseen."
    )
    notification_log_ttl_s: int = Field(
        default=7 * 86400, gt=0, description="How long sent notification ids are remembered."
    )
    dead_letter_ttl_s: int = Field(
        default=30 * 86400,
        gt=0,
        description="Dead letters are forgotten this long after they were given up on.",
    )
    silence_ttl_s: int = Field(
        default=7 * 86400,
        gt=0,
        description="Silences are forgotten this long after they ended (listed with "
        "`--all` until then).",
    )
    delivery_lease_ttl_s: float = Field(
        default=15.0,
        ge=1.0,
        le=3600.0,
        description="Only the instance holding the delivery lease sends notifications; it "
        "renews it every third of this, and another instance takes over this long after "
        "it died.",
    )


# Where `make boundaries` writes the index: var/ of this checkout.
DEFAULT_BOUNDARIES = ROOT / "var" / "boundaries.bin"
# The towns file beside it (service.locate.towns.FILE_NAME; named here so that reading
# the settings does not import the geography).
TOWNS_FILE = "towns.tsv.gz"


def _default_boundaries(value: object) -> object:
    return DEFAULT_BOUNDARIES if value in ("", None) else value


class BoundarySettings(_Model):
    """The geography prepared at build time (`make boundaries`, and in the image)."""

    path: Annotated[ConfigPath, BeforeValidator(_default_boundaries)] = Field(
        default=DEFAULT_BOUNDARIES,
        description="Boundary index built by `make boundaries`; empty: var/boundaries.bin "
        "of this checkout (a relative path is relative to the config file).",
    )
    towns: Annotated[ConfigPath | None, BeforeValidator(empty_is_none)] = Field(
        default=None,
        description="Towns file (GeoNames places of 5,000+ inhabitants, for the place "
        "names of loiter alerts) built by `make boundaries`; empty: towns.tsv.gz beside "
        "`path`.",
    )
    warm_up: bool = Field(
        default=True,
        description="Build every country's border index at start, before the first poll "
        "(about 1.5 s in a worker thread and some 780 MiB); false: each country's on its "
        "first aircraft (3-50 ms inside that poll), for small machines and regional feeds.",
    )

    @property
    def towns_path(self) -> Path:
        """The towns file: `towns`, else towns.tsv.gz in the folder of `path`."""
        return self.towns or self.path.with_name(TOWNS_FILE)


class TrackSettings(_Model):
    max_points: int = Field(
        default=4000,
        gt=10,
        description="Track points kept per aircraft at most (memory and store).",
    )
    detail_s: float = Field(
        default=3600,
        gt=0,
        description="Feed time of history kept point by point; raised by itself to the "
        "longest look-back of a rule (loiter: the largest of min_duration_s, min_dwell_s "
        "and, with wide orbits or racetracks, pattern_window_s).",
    )
    thin_s: float = Field(
        default=300,
        ge=0,
        description="Older history keeps one point per this interval and every change of "
        "country (0: no thinning).",
    )
    window_s: float = Field(
        default=43_200,
        gt=0,
        description="History older than this is dropped (what the map and the API can show).",
    )
    max_aircraft: int = Field(
        default=20_000,
        gt=0,
        description="Aircraft followed at most (memory and store keys stay bounded); "
        "beyond it the least recently heard are forgotten first, those in an open "
        "episode last.",
    )
    min_spacing_s: float = Field(
        default=5, ge=0, description="Closer positions are not added to the track history."
    )
    max_speed_kt: float = Field(
        default=1200,
        gt=0,
        description="A jump implying a faster speed than this is rejected as impossible.",
    )


class RunSettings(_Model):
    """`borderwatch run`: the buffer in front of the pipeline, and how it stops."""

    shutdown_grace_s: float = Field(
        default=10,
        ge=0,
        le=600,
        description="On SIGTERM, how long deliveries in flight (and snapshots already "
        "received) may still finish; the rest waits in the outbox for the next start. "
        "The process exits within this plus 5 s; a second signal exits at once.",
    )
    snapshot_buffer: int = Field(
        default=64,
        ge=1,
        le=10_000,
        description="Snapshots waiting for the pipeline at most (while the store is "
        "down at start, say); beyond it the oldest are dropped and counted.",
    )


class AreaSettings(_Model):
    """A named area from a GeoJSON file (Polygon/MultiPolygon), for rules' `areas`."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="Name rules refer to."
    )
    path: ConfigPath = Field(description="GeoJSON file (relative to the config file).")

    @model_validator(mode="after")
    def _readable(self) -> AreaSettings:
        from service.locate.areas import AreaError, read_area

        try:
            read_area(self.name, self.path)
        except AreaError as exc:
            raise ValueError(str(exc)) from None
        return self


class Settings(_Model):
    """The whole configuration (config/borderwatch.yaml)."""

    store: StoreSettings = StoreSettings()
    identify: IdentifySettings = IdentifySettings()
    boundaries: BoundarySettings = Field(default_factory=BoundarySettings)
    areas: list[AreaSettings] = Field(
        default=[], description="Named GeoJSON areas that loiter and signal_lost rules can use."
    )
    track: TrackSettings = TrackSettings()
    feeds: list[FeedSettings] = Field(
        default=[], description="Sources polled or streamed (docs/feeds.md)."
    )
    rules: list[Rule] = Field(default=[])
    receivers: list[Receiver] = Field(
        default=[], description="Where notifications go (docs/alerts.md)."
    )
    links: list[Link] = Field(
        default=DEFAULT_LINKS,
        description="Links in every notification (Slack, Discord, the webhook's "
        "`links`, apprise), in order; the default is the two public trackers, `[]` "
        "shows none.",
    )
    http: HttpSettings = HttpSettings()
    run: RunSettings = Field(default_factory=RunSettings)
    history: HistorySettings = Field(default_factory=HistorySettings)

    # Dotted key -> the value as written, where it referred to the environment.
    _references: dict[str, str] = PrivateAttr(default_factory=dict)

    _receiver_type = field_validator("receivers", mode="before")(default_type)

    @field_validator("receivers")
    @classmethod
    def _unique_receiver_names(cls, receivers: list[Receiver]) -> list[Receiver]:
        _require_unique([receiver.name for receiver in receivers], "receiver names")
        return receivers

    @field_validator("rules")
    @classmethod
    def _unique_rule_ids(cls, rules: list[Rule]) -> list[Rule]:
        _require_unique([rule.id for rule in rules], "rule ids")
        return rules

    @field_validator("feeds")
    @classmethod
    def _unique_feed_names(cls, feeds: list[FeedSettings]) -> list[FeedSettings]:
        _require_unique([feed.name for feed in feeds], "feed names")
        return feeds

    @model_validator(mode="after")
    def _known_areas(self) -> Settings:
        names = [area.name for area in self.areas]
        _require_unique(names, "areas: names")
        for i, rule in enumerate(self.rules):
            unknown = [name for name in getattr(rule, "areas", []) if name not in names]
            if unknown:
                defined = ", ".join(names) or "none"
                raise ValueError(
                    f"rules.{i}.areas: unknown area {', '.join(unknown)} (defined: {defined})"
                )
        return self

    def note_references(self, references: dict[str, str]) -> None:
        """Remember which values came from the environment (the loader calls this)."""
        self._references = dict(references)

    def disabled_receivers(self) -> list[tuple[str, str]]:
        """(name, why) of every receiver that is off: its URL is empty."""
        disabled = []
        for index, receiver in enumerate(self.receivers):
            if receiver.url is None:
                written = self._references.get(f"receivers.{index}.url")
                why = f"url {written} is empty" if written else "no url"
                disabled.append((receiver.name, why))
        return disabled
