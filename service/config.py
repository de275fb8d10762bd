"""Configuration: one typed model that validates the YAML file.

Secrets come from the environment: `${VAR}` or `${VAR:-default}` anywhere in the YAML
is replaced before parsing. Errors name the key and say what is wrong.
`borderwatch config schema` prints the JSON Schema generated from these models.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator

from service.config_feeds import FeedSettings as FeedSettings  # re-exported
from service.config_fields import Model as _Model
from service.config_fields import alpha2 as _alpha2
from service.config_fields import hex_address as _hex
from service.config_fields import require_unique as _require_unique
from service.config_http import HttpSettings as HttpSettings  # re-exported
from service.config_identify import AreaSettings, IdentifySettings
from service.config_receivers import Receiver, default_type
from service.config_receivers import WebhookReceiver as WebhookReceiver  # re-exported
from service.models import Category

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "borderwatch.yaml"
# Names the config file used when no --config is given (the container image sets it:
# an installed package has no config/ beside it).
CONFIG_ENV = "BORDERWATCH_CONFIG"

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(ValueError):
    """The configuration file is missing or invalid; the message names the key."""


class Selection(_Model):
    """Which aircraft a rule applies to."""

    categories: list[Category] = Field(
        default=[Category.MILITARY, Category.GOVERNMENT, Category.POLICE],
        description="Aircraft categories the rule watches.",
    )
    states: list[str] = Field(
        default=[], description="Only aircraft of these states of registry (alpha-2); empty: any."
    )
    hexes: list[str] = Field(default=[], description="Only these addresses; empty: any.")

    @field_validator("states")
    @classmethod
    def _upper_states(cls, value: list[str]) -> list[str]:
        return [_alpha2(code) for code in value]

    @field_validator("hexes")
    @classmethod
    def _lower_hexes(cls, value: list[str]) -> list[str]:
        return [_hex(item) for item in value]


class _RuleBase(_Model):
    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$",
        description="Stable rule id; part of every episode's identity, so keep it stable.",
    )
    enabled: bool = Field(default=True, description="Switch the rule off without deleting it.")
    severity: Literal["info", "warning", "critical"] = Field(
        default="warning", description="Copied into notifications for routing."
    )
    select: Selection = Field(
        default=Selection(), description="Which aircraft the rule applies to."
    )


class ForeignAirspaceRule(_RuleBase):
    """A state aircraft of country A inside the sovereign airspace of country B."""

    type: Literal["foreign_airspace"] = Field(default="foreign_airspace", description="Rule type.")
    countries: list[str] = Field(
        default=[], description="Only entries into these countries (alpha-2); empty: any."
    )
    allow: list[str] = Field(
        default=[],
        description='Pairs "A>B" that never alert (aircraft of state A inside country B).',
    )
    enter_confirm_s: float = Field(
        default=45, ge=0, description="Time continuously inside before an entry is confirmed."
    )
    enter_depth_km: float = Field(
        default=3.0, ge=0, description="Depth inside the border needed to confirm an entry."
    )
    exit_confirm_s: float = Field(
        default=120, ge=0, description="Time continuously outside before an exit is confirmed."
    )
    depth_milestones_km: list[float] = Field(
        default=[50, 100, 250, 500, 1000],
        description="Send an update when the maximum depth first passes each of these.",
    )
    resolve_after_silent_s: float = Field(
        default=3600,
        gt=0,
        description="Resolve the episode when the aircraft has been silent this long.",
    )
    repeat_interval_s: float = Field(
        default=0, ge=0, description='Interval of "still inside" updates; 0: none.'
    )

    @field_validator("countries")
    @classmethod
    def _upper_countries(cls, value: list[str]) -> list[str]:
        return [_alpha2(code) for code in value]

    @field_validator("allow")
    @classmethod
    def _pairs(cls, value: list[str]) -> list[str]:
        pairs = []
        for pair in value:
            parts = pair.split(">")
            if len(parts) != 2:
                raise ValueError(f'allow entry {pair!r} must look like "US>CA"')
            pairs.append(f"{_alpha2(parts[0])}>{_alpha2(parts[1])}")
        return pairs


class LoiterRule(_RuleBase):
    """Orbiting, holding or dwelling over one area for a long time."""

    type: Literal["loiter"] = Field(default="loiter", description="Rule type.")
    min_duration_s: float = Field(
        default=1200, gt=0, description="Time within the radius before the loiter alerts."
    )
    max_radius_km: float = Field(
        default=25, gt=0, description="Largest orbit radius (from the centre) counted."
    )
    min_turns: float = Field(
        default=1.0,
        ge=0,
        description="Net full turns needed, unless the aircraft dwells (see min_dwell_s).",
    )
    min_dwell_s: float = Field(
        default=2700,
        gt=0,
        description="Inside the radius this long alerts even without full turns.",
    )
    max_gap_s: float = Field(
        default=1800,
        gt=0,
        description="A coverage gap shorter than this does not split a loiter.",
    )
    exit_confirm_s: float = Field(
        default=300, ge=0, description="Time outside the loiter area before it ends."
    )
    update_interval_s: float = Field(
        default=3600, gt=0, description='Interval of "still loitering" updates.'
    )
    min_speed_kt: float = Field(
        default=30, ge=0, description="Slower positions (taxiing, parked) are ignored."
    )
    abroad_only: bool = Field(
        default=False,
        description="Only loiters outside the aircraft's own state (foreign or high seas).",
    )
    areas: list[str] = Field(
        default=[],
        description="Only loiters whose latest position lies in one of these `areas` "
        "(by name); empty: anywhere.",
    )


class SignalLostRule(_RuleBase):
    """An identified aircraft silent for too long while inside foreign airspace."""

    type: Literal["signal_lost"] = Field(default="signal_lost", description="Rule type.")
    silent_s: float = Field(default=600, gt=0, description="Silence before the alert.")
    expire_after_s: float = Field(
        default=21600, gt=0, description="Resolve (expired) after this long without news."
    )
    areas: list[str] = Field(
        default=[],
        description="Only when the last position heard lies in one of these `areas` "
        "(by name); empty: anywhere.",
    )


class SquawkRule(_RuleBase):
    """An emergency code (hijack, radio failure, emergency) held for a while.

    `select` has the same default as every rule (military, government, police); add
    `civil` to its categories to be told of every emergency in the feed.
    """

    type: Literal["squawk"] = Field(default="squawk", description="Rule type.")
    codes: list[Annotated[str, Field(pattern=r"^[0-7]{4}$")]] = Field(
        default=["7500", "7600", "7700"], min_length=1, description="Codes (4 digits 0-7)."
    )
    min_hold_s: float = Field(
        default=60, ge=0, description="A code held this long opens; another code, resolves."
    )
    resolve_after_silent_s: float = Field(
        default=600, gt=0, description="Resolve when the aircraft has been silent this long."
    )


Rule = Annotated[
    ForeignAirspaceRule | LoiterRule | SignalLostRule | SquawkRule, Field(discriminator="type")
]


class StoreSettings(_Model):
    redis_url: SecretStr | None = Field(
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
    delivery_lease_ttl_s: float = Field(
        default=15.0,
        ge=1.0,
        le=3600.0,
        description="Only the instance holding the delivery lease sends notifications; it "
        "renews it every third of this, and another instance takes over this long after "
        "it died.",
    )

    @field_validator("redis_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value


class BoundarySettings(_Model):
    path: Path = Field(
        default=Path("var/boundaries.bin"),
        description="Boundary index built by `make boundaries` (relative to the working dir).",
    )


class TrackSettings(_Model):
    max_points: int = Field(default=4000, gt=10, description="Track points kept per aircraft.")
    min_spacing_s: float = Field(
        default=5, ge=0, description="Closer positions are not added to the track history."
    )
    max_speed_kt: float = Field(
        default=1200,
        gt=0,
        description="A jump implying a faster speed than this is rejected as impossible.",
    )


class Settings(_Model):
    """The whole configuration (config/borderwatch.yaml)."""

    store: StoreSettings = StoreSettings()
    identify: IdentifySettings = IdentifySettings()
    boundaries: BoundarySettings = BoundarySettings()
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
    http: HttpSettings = HttpSettings()

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


def expand_env(text: str, environ: dict[str, str] | None = None) -> str:
    """Replace `${VAR}` and `${VAR:-default}` with values from the environment."""
    env = os.environ if environ is None else environ

    def substitute(match: re.Match[str]) -> str:
        value = env.get(match.group(1))
        if value:
            return value
        return match.group(2) or ""

    return _ENV_REF.sub(substitute, text)


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read, expand and validate a YAML config; raise ConfigError naming the bad key.

    Without `path`: the file named by $BORDERWATCH_CONFIG, else config/borderwatch.yaml
    of this checkout. `environ` (default: the process environment) expands ${VAR}s.
    """
    if path is None:
        named = (os.environ if environ is None else environ).get(CONFIG_ENV)
        path = Path(named) if named else DEFAULT_CONFIG
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
    try:
        raw = yaml.safe_load(expand_env(text, environ))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys")
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        lines.append(f"{key}: {error['msg']}")
    return "; ".join(lines)
