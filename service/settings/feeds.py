"""Feed configuration: one model per source kind, a union discriminated on `kind`.

Defaults respect each provider's published terms (named next to each default; the
details are in docs/feeds.md):
- adsb.fi: at most 1 request per second on its public endpoints
  (https://github.com/adsbfi/opendata), personal non-commercial use, cite adsb.fi.
- adsb.lol: dynamic rate limits, ODbL data (https://github.com/adsblol/api).
- airplanes.live: 1 request per second, key-gated since 2026 (third-party summaries
  of https://airplanes.live/api-guide).
- OpenSky: credits per day (400 anonymous, 4000 standard user), cost by bounding box
  area (https://openskynetwork.github.io/opensky-api/rest.html).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from service.settings.fields import (
    ConfigPath,
    Model,
    OptionalSecret,
    OptionalText,
    http_url,
    is_local,
)
from service.settings.fields import hex_address as _hex

__all__ = [
    "AdsbxFeed",
    "FeedSettings",
    "OpenSkyFeed",
    "QueryBox",
    "QueryCircle",
    "ReadsbFeed",
    "SbsFeed",
]

_NAME = r"^[a-z0-9][a-z0-9_.-]{0,31}$"


class QueryCircle(Model):
    """A circle to query, centre and radius (nautical miles, at most 250)."""

    lat: float = Field(ge=-90, le=90, description="Centre latitude.")
    lon: float = Field(ge=-180, le=180, description="Centre longitude.")
    radius_nm: float = Field(gt=0, le=250, description="Radius in nautical miles.")


class QueryBox(Model):
    """A latitude/longitude box (e.g. a band along a border)."""

    lat_min: float = Field(ge=-90, le=90, description="Southern edge.")
    lat_max: float = Field(ge=-90, le=90, description="Northern edge.")
    lon_min: float = Field(ge=-180, le=180, description="Western edge.")
    lon_max: float = Field(ge=-180, le=180, description="Eastern edge.")

    @model_validator(mode="after")
    def _ordered(self) -> QueryBox:
        if self.lat_min >= self.lat_max or self.lon_min >= self.lon_max:
            raise ValueError("box needs lat_min < lat_max and lon_min < lon_max")
        return self


class _FeedBase(Model):
    name: str = Field(pattern=_NAME, description="Label in logs and metrics (`source`).")
    enabled: bool = Field(default=True, description="Switch the feed off without deleting it.")
    interval_s: float = Field(
        default=15,
        gt=0,
        description="Minimum time between poll cycles. At least 1 s for non-local hosts "
        "(adsb.fi and airplanes.live allow 1 request per second).",
    )
    timeout_s: float = Field(
        default=10, gt=0, le=120, description="Whole-request timeout (also bounds a trickle)."
    )
    # The defaults are service.feeds.readsb's MAX_RESPONSE_BYTES and MAX_AIRCRAFT (not
    # imported: the feeds import the settings). Large enough for a whole-world feed
    # with MLAT, TIS-B and ground traffic; they bound the memory of one response.
    max_bytes: int = Field(
        default=256 * 1024 * 1024, gt=0, description="Larger responses are rejected unread."
    )
    max_aircraft: int = Field(
        default=250_000,
        gt=0,
        description="Responses listing more aircraft are rejected (a whole-world feed "
        "lists 10,000 to 100,000 and more).",
    )
    max_backoff_s: float = Field(
        default=300,
        gt=0,
        description="Longest backoff after failures (a server's "
        "Retry-After is honoured beyond it, up to a day).",
    )
    breaker_failures: int = Field(
        default=5, ge=1, description="Consecutive failures that open the circuit breaker."
    )
    breaker_probe_s: float = Field(
        default=300,
        gt=0,
        description="While open, one probe request after this long (so a source comes "
        "back by itself at most this long after its provider or the network does).",
    )


class _PolledFeed(_FeedBase):
    max_skew_s: float = Field(
        default=60,
        gt=0,
        description="A response dated more than this ahead of this machine's clock is "
        "rejected (`future_snapshot`): one bad timestamp must not move the feed clock.",
    )
    max_age_s: float = Field(
        default=300,
        gt=0,
        description="A response dated more than this behind this machine's clock is "
        "rejected (`stale_snapshot`): a receiver that stopped writing is not fresh data.",
    )
    daily_budget: int | None = Field(
        default=10_000,
        ge=1,
        description="Requests (OpenSky: credits) allowed per UTC day; null: unlimited.",
    )
    request_gap_s: float = Field(
        default=1.0,
        ge=0,
        description="Pause between the requests of one cycle (providers allow 1 request/s).",
    )

    @model_validator(mode="after")
    def _polite(self) -> _PolledFeed:
        for url in self._urls():
            if not is_local(url) and (self.interval_s < 1 or self.request_gap_s < 1):
                raise ValueError(
                    "interval_s and request_gap_s must be at least 1 s for a public host"
                )
        return self

    def _urls(self) -> list[str]:
        return []


class AdsbxFeed(_PolledFeed):
    """ADS-B Exchange v2 style JSON (adsb.lol, adsb.fi, airplanes.live, ADS-B Exchange).

    Either `url` (one endpoint, polled as is) or `base_url` with `mil`, `circles`,
    `boxes` and `hexes`: every cycle requests /v2/mil, one /v2/point per circle (boxes
    are tiled into circles of at most 250 nm) and /v2/hex in batches.
    """

    kind: Literal["adsbx"] = Field(description="ADS-B Exchange v2 style JSON (`now` in ms).")
    url: str | None = Field(default=None, description="One endpoint URL, polled as is.")
    base_url: str | None = Field(
        default=None,
        description="API root, e.g. https://api.adsb.lol or https://opendata.adsb.fi/api.",
    )
    mil: bool = Field(default=False, description="Request /v2/mil (the military sweep).")
    circles: list[QueryCircle] = Field(default=[], description="Request /v2/point per circle.")
    boxes: list[QueryBox] = Field(default=[], description="Boxes tiled into /v2/point circles.")
    point_path: Literal["point", "lat-lon-dist"] = Field(
        default="point",
        description="Circle endpoint: /v2/point/{lat}/{lon}/{nm} (adsb.lol, airplanes.live) "
        "or /v2/lat/{lat}/lon/{lon}/dist/{nm} (adsb.fi, which has no /v2/point).",
    )
    hexes: list[str] = Field(default=[], description="Addresses requested with /v2/hex.")
    watch_list: bool = Field(
        default=False, description="Also request every address of `identify.watch`."
    )
    hex_batch: int = Field(default=100, ge=1, le=1000, description="Addresses per /v2/hex.")
    api_key: OptionalSecret = Field(
        default=None, description="API key (airplanes.live, ADS-B Exchange); empty: none."
    )
    api_key_header: str = Field(
        default="api-auth", description="Header carrying `api_key` (ADS-B Exchange: api-auth)."
    )

    _check_url = field_validator("url", "base_url")(http_url)

    @field_validator("hexes")
    @classmethod
    def _lower_hexes(cls, value: list[str]) -> list[str]:
        return [_hex(item) for item in value]

    @model_validator(mode="after")
    def _one_target(self) -> AdsbxFeed:
        if (self.url is None) == (self.base_url is None):
            raise ValueError("set exactly one of url and base_url")
        wants = self.mil or self.circles or self.boxes or self.hexes or self.watch_list
        if self.base_url is not None and not wants:
            raise ValueError("base_url needs at least one of mil, circles, boxes, hexes")
        return self

    def _urls(self) -> list[str]:
        return [u for u in (self.url, self.base_url) if u is not None]


class ReadsbFeed(_PolledFeed):
    """A local readsb / dump1090 / tar1090 aircraft.json, by URL or file path."""

    kind: Literal["readsb"] = Field(description="readsb aircraft.json (`now` in seconds).")
    url: str | None = Field(
        default=None, description="URL, e.g. http://pi.local/tar1090/data/aircraft.json."
    )
    path: ConfigPath | None = Field(
        default=None, description="File, e.g. /run/readsb/aircraft.json."
    )
    interval_s: float = Field(default=5, gt=0, description="Time between reads.")
    daily_budget: int | None = Field(
        default=None, ge=1, description="Reads per UTC day; null: unlimited (your receiver)."
    )

    _check_url = field_validator("url")(http_url)

    @model_validator(mode="after")
    def _one_target(self) -> ReadsbFeed:
        if (self.url is None) == (self.path is None):
            raise ValueError("set exactly one of url and path")
        return self

    def _urls(self) -> list[str]:
        return [self.url] if self.url is not None else []


class OpenSkyFeed(_PolledFeed):
    """OpenSky Network /api/states/all, OAuth2 client credentials, bounding boxes.

    Credit cost per request by box area (OpenSky REST docs): up to 25 square degrees 1,
    up to 100: 2, up to 400: 3, larger or global: 4.
    """

    kind: Literal["opensky"] = Field(description="OpenSky Network REST (metres, m/s).")
    base_url: str = Field(default="https://opensky-network.org/api", description="API root.")
    token_url: str = Field(
        default="https://auth.opensky-network.org/auth/realms/opensky-network/protocol/"
        "openid-connect/token",
        description="OAuth2 token endpoint (client credentials).",
    )
    client_id: OptionalText = Field(default=None, description="API client id; empty: anonymous.")
    client_secret: OptionalSecret = Field(default=None, description="API client secret.")
    boxes: list[QueryBox] = Field(default=[], description="One request per box; empty: global.")
    interval_s: float = Field(
        default=90, gt=0, description="Time between cycles (90 s keeps 1 box under 4000/day)."
    )
    daily_budget: int | None = Field(
        default=None,
        ge=1,
        description="Credits per UTC day; null: 4000 with credentials, 400 anonymous.",
    )
    request_gap_s: float = Field(default=5, ge=0, description="Pause between boxes of a cycle.")

    _check_url = field_validator("base_url", "token_url")(http_url)

    def credits_per_day(self) -> int:
        """The daily credit budget: configured, or the published tier default."""
        if self.daily_budget is not None:
            return self.daily_budget
        return 4000 if self.client_id is not None else 400

    def _urls(self) -> list[str]:
        return [self.base_url]


class SbsFeed(_FeedBase):
    """SBS / BaseStation TCP stream (port 30003) from a local receiver."""

    kind: Literal["sbs"] = Field(description="SBS/BaseStation MSG lines over TCP.")
    host: str = Field(default="127.0.0.1", description="Receiver host.")
    port: int = Field(default=30003, ge=1, le=65535, description="Receiver SBS port.")
    interval_s: float = Field(
        default=1, gt=0, description="Positions are handed on this often (seconds)."
    )
    idle_timeout_s: float = Field(
        default=60, gt=0, description="Reconnect when nothing (not even a heartbeat) arrives."
    )
    max_line_bytes: int = Field(default=512, ge=64, description="Longer lines are rejected.")


FeedSettings = Annotated[
    AdsbxFeed | ReadsbFeed | OpenSkyFeed | SbsFeed, Field(discriminator="kind")
]
