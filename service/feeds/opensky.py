"""OpenSky Network `/api/states/all`: OAuth2 client credentials, boxes, credits.

Facts (https://openskynetwork.github.io/opensky-api/rest.html and the opensky-api
repository README; ../shared/reference/feeds-and-identification.md §1c):
- Token: POST grant_type=client_credentials, client_id, client_secret to the
  Keycloak token endpoint; `access_token` lasts `expires_in` seconds (1800). Sent as
  `Authorization: Bearer`. A 401 means the token expired: refresh and retry.
- Cost of one request by box area (square degrees): <=25: 1, <=100: 2, <=400: 3,
  larger or global: 4 credits. `X-Rate-Limit-Remaining` reports what is left; 429 with
  `X-Rate-Limit-Retry-After-Seconds` when it is spent.
- Response `{"time": s, "states": [[icao24, callsign, origin_country, time_position,
  last_contact, lon, lat, baro_altitude (m), on_ground, velocity (m/s), true_track,
  vertical_rate, sensors, geo_altitude, squawk, spi, position_source, (category)]]}`.
"""

from __future__ import annotations

import math
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp
import msgspec

from service.clock import SYSTEM_CLOCK, Clock
from service.feeds.http import FetchError, HttpResponse, fetch
from service.feeds.normalise import clean_text, out_of_bounds
from service.feeds.poller import FeedRequest
from service.feeds.readsb import MAX_AIRCRAFT, MAX_RESPONSE_BYTES, FeedDecodeError
from service.feeds.salvage import SplitError, records, split_object
from service.models import Position, Quality, Snapshot
from service.settings.feeds import OpenSkyFeed, QueryBox

__all__ = ["OpenSkyAdapter", "TokenCache", "credit_cost", "decode_states"]

FT_PER_M: Final = 3.28084
KT_PER_MS: Final = 1.943844
# Refresh this long before the token expires, so a request never carries a dying one.
TOKEN_MARGIN_S: Final = 60.0
_POSITION_SOURCE: Final = {0: Quality.ADSB, 2: Quality.MLAT}
_MAX_AGE_S: Final = 60.0


def credit_cost(box: QueryBox | None) -> int:
    """Credits one /states/all request costs (OpenSky's published table)."""
    if box is None:
        return 4
    area = (box.lat_max - box.lat_min) * (box.lon_max - box.lon_min)
    if area <= 25:
        return 1
    if area <= 100:
        return 2
    if area <= 400:
        return 3
    return 4


class _States(msgspec.Struct):
    time: int | float | None = None
    states: list[msgspec.Raw] | None = None


_STATES_DECODER: Final = msgspec.json.Decoder(_States)
_ROW_DECODER: Final = msgspec.json.Decoder(list[Any])
_TIME_DECODER: Final = msgspec.json.Decoder(int | float | None)
# A state vector is a flat row (the sensors list nests one level more).
MAX_ROW_DEPTH: Final = 4


def decode_states(
    data: bytes,
    *,
    source: str,
    max_aircraft: int = MAX_AIRCRAFT,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> Snapshot:
    """Decode a /states/all response into positions (feet, knots); rows are checked
    one by one so a bad row costs only itself. Raises FeedDecodeError, and nothing
    else, when the response as a whole is unusable."""
    if len(data) > max_bytes:
        raise FeedDecodeError("too_large", f"{len(data)} > {max_bytes} bytes")
    rejected: dict[str, int] = {}
    try:
        envelope = _STATES_DECODER.decode(data)
    except msgspec.ValidationError:
        raise FeedDecodeError("bad_aircraft_list") from None
    except (msgspec.DecodeError, RecursionError) as exc:
        try:
            envelope = _salvage(data, rejected)
        except SplitError:
            raise FeedDecodeError("invalid_json", str(exc)) from None
    if envelope.time is None:
        raise FeedDecodeError("missing_now")
    now = _num(envelope.time)
    if now is None or not 0 < now < 1e11:
        raise FeedDecodeError("bad_now", repr(now))
    rows = envelope.states or []  # null states: nothing received, a valid empty answer
    if len(rows) + sum(rejected.values()) > max_aircraft:
        raise FeedDecodeError("too_many_aircraft", f"{len(rows)} > {max_aircraft}")
    positions: list[Position] = []
    for raw in rows:
        result = _row(raw, now, source)
        if isinstance(result, Position):
            positions.append(result)
        else:
            rejected[result] = rejected.get(result, 0) + 1
    return Snapshot(now=now, positions=positions, rejected=rejected)


def _salvage(data: bytes, rejected: dict[str, int]) -> _States:
    """The slow pass over a response the fast one refused (service/feeds/salvage.py)."""
    fields = split_object(data)
    envelope = _States()
    time_ = fields.get("time")
    if time_ is not None:
        try:
            envelope.time = _TIME_DECODER.decode(time_.raw)
        except msgspec.DecodeError:
            raise FeedDecodeError("bad_now") from None
    states = fields.get("states")
    if states is not None:
        try:
            envelope.states = records(states, MAX_ROW_DEPTH, rejected)
        except SplitError:
            raise FeedDecodeError("bad_aircraft_list") from None
    return envelope


def _num(value: Any) -> float | None:
    # bool is an int subclass in Python; a true/false where a number belongs is junk.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        value = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return value if math.isfinite(value) else None


def _row(raw: msgspec.Raw, now: float, source: str) -> Position | str:
    try:
        row = _ROW_DECODER.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return "malformed_record"
    if len(row) < 17:
        return "malformed_record"
    icao = row[0]
    if not isinstance(icao, str) or len(icao) != 6:
        return "bad_hex"
    icao = icao.lower()
    if any(c not in "0123456789abcdef" for c in icao):
        return "bad_hex"
    lon, lat = _num(row[5]), _num(row[6])
    if lat is None or lon is None:
        return "no_position"
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return "bad_coordinates"
    fix = _num(row[3])
    if fix is None or not 0 <= now - fix <= _MAX_AGE_S:
        return "stale_position"
    alt_m, speed, track = _num(row[7]), _num(row[9]), _num(row[10])
    alt = alt_m * FT_PER_M if alt_m is not None else None
    gs_kt = speed * KT_PER_MS if speed is not None else None
    problem = out_of_bounds(alt, gs_kt, track)
    if problem is not None:
        return problem
    alt_ft = round(alt) if alt is not None else None
    squawk = row[14] if isinstance(row[14], str) and len(row[14]) == 4 else None
    return Position(
        hex=icao,
        time=fix,
        lat=lat,
        lon=lon,
        alt_ft=alt_ft,
        on_ground=row[8] is True,
        gs_kt=round(gs_kt, 1) if gs_kt is not None else None,
        track_deg=track % 360.0 if track is not None else None,
        callsign=clean_text(row[1]) if isinstance(row[1], str) else None,
        squawk=squawk if squawk is not None and squawk.isdigit() else None,
        source=source,
        quality=_POSITION_SOURCE.get(row[16], Quality.OTHER)
        if isinstance(row[16], int)
        else Quality.OTHER,
    )


class TokenCache:
    """An OAuth2 client-credentials token, cached until shortly before it expires."""

    def __init__(self, feed: OpenSkyFeed, clock: Clock | None = None) -> None:
        self.feed = feed
        self.clock = clock or SYSTEM_CLOCK
        self._token: str | None = None
        self._expires = 0.0
        self.refreshes = 0

    def invalidate(self) -> None:
        self._token = None

    async def get(self, session: aiohttp.ClientSession) -> str:
        """A valid access token, fetched when missing or about to expire."""
        if self._token is not None and self.clock.monotonic() < self._expires - TOKEN_MARGIN_S:
            return self._token
        secret = self.feed.client_secret
        form = {
            "grant_type": "client_credentials",
            "client_id": self.feed.client_id or "",
            "client_secret": secret.get_secret_value() if secret is not None else "",
        }
        try:
            response = await fetch(
                session,
                self.feed.token_url,
                timeout_s=self.feed.timeout_s,
                max_bytes=65536,
                method="POST",
                data=form,
            )
        except FetchError as exc:
            raise FetchError(f"token_{exc.reason}", retry_after=exc.retry_after) from exc
        try:
            body = msgspec.json.decode(response.body, type=dict[str, Any])
        except msgspec.DecodeError:
            raise FetchError("token_invalid") from None
        token, lifetime = body.get("access_token"), _num(body.get("expires_in", 1800))
        if not isinstance(token, str) or not token or len(token) > 16384:
            raise FetchError("token_invalid")
        self._token = token
        self._expires = self.clock.monotonic() + (lifetime if lifetime else 1800.0)
        self.refreshes += 1
        return token


class OpenSkyAdapter:
    """One request per configured box (or one global request), with a bearer token."""

    def __init__(self, feed: OpenSkyFeed, clock: Clock | None = None) -> None:
        self.feed = feed
        self.tokens = TokenCache(feed, clock) if feed.client_id is not None else None
        boxes: list[QueryBox | None] = list(feed.boxes) or [None]
        self._requests = [FeedRequest(self._url(box), credit_cost(box)) for box in boxes]

    def _url(self, box: QueryBox | None) -> str:
        url = f"{self.feed.base_url}/states/all"
        if box is None:
            return url
        query = {
            "lamin": f"{box.lat_min:g}",
            "lomin": f"{box.lon_min:g}",
            "lamax": f"{box.lat_max:g}",
            "lomax": f"{box.lon_max:g}",
        }
        return f"{url}?{urlencode(query)}"

    def plan(self) -> list[FeedRequest]:
        return self._requests

    async def get(self, session: aiohttp.ClientSession, request: FeedRequest) -> HttpResponse:
        if self.tokens is None:
            return await self._send(session, request, None)
        token = await self.tokens.get(session)
        try:
            return await self._send(session, request, token)
        except FetchError as exc:
            if exc.reason != "http_401":
                raise
        # The token expired early (or was revoked): exactly one refresh and retry.
        self.tokens.invalidate()
        return await self._send(session, request, await self.tokens.get(session))

    async def _send(
        self, session: aiohttp.ClientSession, request: FeedRequest, token: str | None
    ) -> HttpResponse:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else None
        return await fetch(
            session,
            request.url,
            timeout_s=self.feed.timeout_s,
            max_bytes=self.feed.max_bytes,
            headers=headers,
        )

    def decode(self, response: HttpResponse, request: FeedRequest) -> Snapshot:
        return decode_states(
            response.body,
            source=self.feed.name,
            max_aircraft=self.feed.max_aircraft,
            max_bytes=self.feed.max_bytes,
        )

    def remaining_reported(self, response: HttpResponse) -> float | None:
        value = response.headers.get("X-Rate-Limit-Remaining")
        try:
            return max(0.0, float(value)) if value is not None and len(value) < 20 else None
        except ValueError:
            return None
