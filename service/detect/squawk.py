"""squawk: an emergency transponder code held for a minimum time.

The default codes are 7500 (unlawful interference), 7600 (radio failure) and 7700
(general emergency). A code opens an episode once the aircraft has reported watched
codes without a break for `min_hold_s`, so a blip (a code dialled through, one garbled
reply) never alerts. Positions without a squawk say nothing either way. While open, a
switch to another watched code is an update; any other code reported for `min_hold_s`
resolves the episode ("code changed"), and so does silence of `resolve_after_silent_s`.
A silence that long also breaks a hold that has not opened yet.
"""

from __future__ import annotations

import math
from typing import Final

import msgspec

from service.detect.events import Event, SquawkFacts
from service.models import Identity
from service.settings import SquawkRule
from service.track import Track, TrackPoint

MEANINGS: Final[dict[str, str]] = {
    "7500": "unlawful interference",
    "7600": "radio failure",
    "7700": "general emergency",
}


def meaning(code: str) -> str:
    """What a code means in plain words ("watched code" for codes configured by the user)."""
    return MEANINGS.get(code, "watched code")


class Episode(msgspec.Struct):
    code: str
    start: float
    since: float  # when the current code was first reported
    last: TrackPoint  # the latest position with a watched code
    other_since: float | None = None  # first position of the code that may end it


class SquawkState(msgspec.Struct):
    last_time: float | None = None
    hold_since: float | None = None  # first position of an unbroken run of watched codes
    episode: Episode | None = None


def evaluate(
    rule: SquawkRule, identity: Identity, track: Track, state: SquawkState | None, now: float
) -> tuple[SquawkState, list[Event]]:
    """Advance the rule over the points that arrived since the last call."""
    state = state or SquawkState()
    events: list[Event] = []
    start = state.last_time + 1e-6 if state.last_time is not None else -math.inf
    new_points = track.since(start)
    for point in new_points:
        previous = state.last_time
        if previous is not None and point.time - previous >= rule.resolve_after_silent_s:
            state.hold_since = None  # a long silence breaks the hold, and ends an episode
            if state.episode is not None:
                ended = state.episode.last
                events.append(
                    _event(
                        rule, "resolved", state.episode, ended, point.time, "signal lost", previous
                    )
                )
                state.episode = None
        events.extend(_step(rule, state, point))
        state.last_time = point.time
    last = track.last
    episode = state.episode
    if episode is not None and last is not None and now - last.time >= rule.resolve_after_silent_s:
        lost = _event(rule, "resolved", episode, episode.last, now, "signal lost", last.time)
        events.append(lost)
        state.episode = None
        state.hold_since = None
    return state, events


def _step(rule: SquawkRule, state: SquawkState, point: TrackPoint) -> list[Event]:
    code = point.squawk
    if code is None:
        return []
    episode = state.episode
    if episode is not None:
        if code in rule.codes:
            episode.other_since = None
            episode.last = point
            if code != episode.code:
                episode.code, episode.since = code, point.time
                return [_event(rule, "update", episode, point, point.time, f"now {code}")]
            return []
        if episode.other_since is None:
            episode.other_since = point.time
        if point.time - episode.other_since < rule.min_hold_s:
            return []
        state.episode = None
        state.hold_since = None
        ended = episode.other_since
        return [_event(rule, "resolved", episode, point, point.time, "code changed", ended)]
    if code not in rule.codes:
        state.hold_since = None
        return []
    if state.hold_since is None:
        state.hold_since = point.time
    if point.time - state.hold_since < rule.min_hold_s:
        return []
    state.episode = Episode(code=code, start=state.hold_since, since=state.hold_since, last=point)
    state.hold_since = None
    return [_event(rule, "opened", state.episode, point, point.time, f"squawking {code}")]


def _event(
    rule: SquawkRule,
    kind: str,
    episode: Episode,
    point: TrackPoint,
    at: float,
    note: str,
    ended_at: float | None = None,
) -> Event:
    return Event(
        rule_id=rule.id,
        kind="opened" if kind == "opened" else "update" if kind == "update" else "resolved",
        episode_start=episode.start,
        at=at,
        point=point,
        facts=SquawkFacts(code=episode.code, since=episode.since, country=point.country),
        note=note,
        ended_at=ended_at,
    )
