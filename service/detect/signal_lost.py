"""signal_lost: an identified aircraft silent too long while inside foreign airspace.

The episode starts at the last position heard. An aircraft that landed is not a loss and
opens nothing (no notification at all): on the ground when last heard, or last heard low
and descending near an airport, which is how most landings look to a feed whose
receivers lose aircraft below their horizon. "Low and descending" means under
`LANDING_BELOW_FT` above the elevation of the nearest airport or strip (offline table,
`service.locate.places`) within `LANDING_AIRPORT_KM`, having come down at least
`MIN_DESCENT_FT` over the last `DESCENT_WINDOW_S`; or within `AT_FIELD_KM` of the
airport below `AT_FIELD_FT` or with no altitude reported (the dev recording quickstart
loses most Orly arrivals on the runway with the altitude already dropped, and these were
"gone dark" before). An aircraft that goes dark at altitude, or low but far from any
airport, or low but climbing, opens an episode. It resolves when the aircraft is heard
again, or expires after `expire_after_s` so that state does not grow without bound. With
`areas` set, only a last position inside one of the named user areas counts.
"""

from __future__ import annotations

from typing import Final

import msgspec

from service.detect.events import Event, SignalFacts
from service.locate.places import nearest_airport
from service.models import Identity
from service.settings import SignalLostRule
from service.track import Track, TrackPoint

LANDING_BELOW_FT: Final = 2500.0  # barometric altitude minus the airport's elevation
LANDING_AIRPORT_KM: Final = 10.0
DESCENT_WINDOW_S: Final = 300.0
MIN_DESCENT_FT: Final = 300
AT_FIELD_KM: Final = 3.0  # this close and ...
AT_FIELD_FT: Final = 500.0  # ... this low, or with no altitude at all, it is on the field


class Episode(msgspec.Struct):
    last_seen: TrackPoint


class SignalState(msgspec.Struct):
    episode: Episode | None = None
    landed_at: float | None = None  # last_seen time of a silence judged a landing


def evaluate(
    rule: SignalLostRule,
    identity: Identity,
    track: Track,
    state: SignalState | None,
    now: float,
) -> tuple[SignalState, list[Event]]:
    """Check the silence of one aircraft at feed time `now`."""
    state = state or SignalState()
    last = track.last
    if last is None:
        return state, []
    episode = state.episode
    if episode is not None:
        if last.time > episode.last_seen.time:
            state.episode = None
            return state, [_event(rule, "resolved", episode, last, now, "heard again")]
        if now - episode.last_seen.time >= rule.expire_after_s:
            state.episode = None
            return state, [_event(rule, "resolved", episode, last, now, "expired")]
        return state, []
    silent = now - last.time
    abroad = last.country is not None and identity.state is not None
    if silent < rule.silent_s or not abroad or last.country == identity.state or last.on_ground:
        return state, []
    if rule.areas and not set(rule.areas) & set(last.areas):
        return state, []
    # Judged once per silence: the airport lookup is not repeated on every snapshot.
    if state.landed_at == last.time:
        return state, []
    if landed(track, last):
        state.landed_at = last.time
        return state, []
    state.episode = Episode(last_seen=last)
    return state, [_event(rule, "opened", state.episode, last, now, "signal lost")]


def landed(track: Track, last: TrackPoint) -> bool:
    """Whether the last position heard looks like the end of an approach to an airport."""
    found = nearest_airport(last.lat, last.lon)
    if found is None or found[1] > LANDING_AIRPORT_KM:
        return False
    airport, distance_km = found
    window = [p.alt_ft for p in track.since(last.time - DESCENT_WINDOW_S) if p.alt_ft is not None]
    if not window:
        # Many feeds drop the altitude on the ground: over the airfield that is a landing.
        return distance_km <= AT_FIELD_KM
    height_ft = window[-1] - airport.elevation_ft
    if distance_km <= AT_FIELD_KM and height_ft < AT_FIELD_FT:
        return True  # over the runway, whatever the trend
    return height_ft < LANDING_BELOW_FT and window[0] - window[-1] >= MIN_DESCENT_FT


def _event(
    rule: SignalLostRule, kind: str, episode: Episode, point: TrackPoint, now: float, note: str
) -> Event:
    seen = episode.last_seen
    assert seen.country is not None
    facts = SignalFacts(
        last_seen=seen.time,
        silent_s=(point.time if kind == "resolved" and note == "heard again" else now) - seen.time,
        country=seen.country,
        depth_km=seen.depth_km,
    )
    return Event(
        rule_id=rule.id,
        kind="opened" if kind == "opened" else "resolved",
        episode_start=seen.time,
        at=now,
        point=point,
        facts=facts,
        note=note,
        ended_at=(point.time if note == "heard again" else now) if kind == "resolved" else None,
    )
