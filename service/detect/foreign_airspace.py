"""foreign_airspace: a state aircraft of country A inside the airspace of country B.

Entry is confirmed only after the aircraft has been inside for `enter_confirm_s` and at
least `enter_depth_km` deep, so a track weaving along a border never opens an episode;
exit is confirmed after `exit_confirm_s` outside, so one stray point does not close it.
Going straight into a third country, the entry there is timed from its border, and once
confirmed it also confirms the exit. An aircraft first seen already inside counts as an
entry. Silence of `resolve_after_silent_s` closes the episode ("signal lost"), whether
the feed clock shows it or the next position arrives that late. The resolved
notification carries the maximum depth and, with `entered_at` and `ended_at`, the dwell
time. With `repeat_interval_s` set, an open episode sends a "still inside" update each
time that much more time has passed since the entry (only when a position is heard: no
news is not reported as "still inside"). Positions implying an impossible speed never
reach a rule (the pipeline's jump filter drops them), so a teleport cannot open an
episode. Nothing else is filtered: no speed, altitude, climb or turn test, so a
crossing while refuelling, holding or climbing counts like any other, and on a trip
through many countries each entry opens its own episode timed from its border
(docs/alerts.md, "Crossings"; tests/detect/test_crossings.py).
"""

from __future__ import annotations

import msgspec

from service.detect.events import AirspaceFacts, Event
from service.models import Identity
from service.settings import ForeignAirspaceRule
from service.track import Track, TrackPoint


class Candidate(msgspec.Struct):
    country: str
    since: float
    entry_lat: float
    entry_lon: float
    max_depth_km: float
    first_seen_inside: bool


class Episode(msgspec.Struct):
    country: str
    start: float
    entry_lat: float
    entry_lon: float
    max_depth_km: float
    first_seen_inside: bool
    milestones_passed: int = 0
    outside_since: float | None = None
    repeats_sent: int = 0  # "still inside" updates sent (repeat_interval_s)


class AirspaceState(msgspec.Struct):
    last_time: float | None = None
    candidate: Candidate | None = None
    episode: Episode | None = None


def foreign_country(rule: ForeignAirspaceRule, identity: Identity, point: TrackPoint) -> str | None:
    """The country whose airspace the point is in, if it counts as foreign for this rule."""
    country, home = point.country, identity.state
    if country is None or home is None or country == home:
        return None
    if rule.countries and country not in rule.countries:
        return None
    if f"{home}>{country}" in rule.allow:
        return None
    return country


def evaluate(
    rule: ForeignAirspaceRule,
    identity: Identity,
    track: Track,
    state: AirspaceState | None,
    now: float,
) -> tuple[AirspaceState, list[Event]]:
    """Advance the rule over the points that arrived since the last call."""
    state = state or AirspaceState()
    events: list[Event] = []
    new_points = track.since(state.last_time + 1e-6) if state.last_time is not None else []
    if state.last_time is None:
        new_points = track.points
    first_ever = track.first_time
    for point in new_points:
        episode, previous = state.episode, state.last_time
        silence = point.time - previous if previous is not None else 0.0
        if episode is not None and previous is not None and silence >= rule.resolve_after_silent_s:
            # Heard again after a silence that closes the episode (no other aircraft's
            # snapshot advanced the clock meanwhile, as in a one-aircraft replay).
            events.append(
                _resolved(rule, episode, point, point.time, "signal lost", ended_at=previous)
            )
            state.episode = None
        events.extend(_step(rule, identity, state, point, first_ever))
        state.last_time = point.time
    last = track.last
    episode = state.episode
    if episode is not None and last is not None and now - last.time >= rule.resolve_after_silent_s:
        events.append(_resolved(rule, episode, last, now, "signal lost", ended_at=last.time))
        state.episode = None
    return state, events


def _step(
    rule: ForeignAirspaceRule,
    identity: Identity,
    state: AirspaceState,
    point: TrackPoint,
    first_ever: float | None,
) -> list[Event]:
    events: list[Event] = []
    episode = state.episode
    if episode is not None:
        if point.country == episode.country:
            episode.outside_since = None
            state.candidate = None  # a brief excursion next door is over
            depth = point.depth_km or 0.0
            if depth > episode.max_depth_km:
                episode.max_depth_km = depth
                passed = sum(1 for m in rule.depth_milestones_km if depth >= m)
                if passed > episode.milestones_passed:
                    milestone = rule.depth_milestones_km[passed - 1]
                    episode.milestones_passed = passed
                    events.append(
                        _event(rule, "update", episode, point, f"depth passed {milestone:g} km")
                    )
            if rule.repeat_interval_s > 0:
                due = int((point.time - episode.start) // rule.repeat_interval_s)
                if due > episode.repeats_sent:
                    episode.repeats_sent = due
                    # One notification per position: a milestone update already says it.
                    if not events:
                        note = f"still inside after {_span(due * rule.repeat_interval_s)}"
                        events.append(_event(rule, "update", episode, point, note))
            return events
        if episode.outside_since is None:
            episode.outside_since = point.time
        # The next country's clock starts at its border, not when this exit is confirmed,
        # and a confirmed entry there confirms the exit from here too.
        candidate = _candidate(rule, identity, state, point, first_ever)
        entered_next = candidate is not None and _confirmed(rule, candidate, point)
        if point.time - episode.outside_since < rule.exit_confirm_s and not entered_next:
            return events
        events.append(
            _resolved(rule, episode, point, point.time, "left", ended_at=episode.outside_since)
        )
        state.episode = None
    else:
        candidate = _candidate(rule, identity, state, point, first_ever)
    if candidate is None:
        return events
    if _confirmed(rule, candidate, point):
        opened = Episode(
            country=candidate.country,
            start=candidate.since,
            entry_lat=candidate.entry_lat,
            entry_lon=candidate.entry_lon,
            max_depth_km=candidate.max_depth_km,
            first_seen_inside=candidate.first_seen_inside,
            milestones_passed=sum(
                1 for m in rule.depth_milestones_km if candidate.max_depth_km >= m
            ),
        )
        state.episode = opened
        state.candidate = None
        events.append(_event(rule, "opened", opened, point, "entered"))
    return events


def _candidate(
    rule: ForeignAirspaceRule,
    identity: Identity,
    state: AirspaceState,
    point: TrackPoint,
    first_ever: float | None,
) -> Candidate | None:
    """Start or continue the entry the point may belong to (None: not in a foreign country)."""
    country = foreign_country(rule, identity, point)
    if country is None:
        state.candidate = None
        return None
    depth = point.depth_km or 0.0
    candidate = state.candidate
    if candidate is None or candidate.country != country:
        candidate = Candidate(
            country=country,
            since=point.time,
            entry_lat=point.lat,
            entry_lon=point.lon,
            max_depth_km=depth,
            first_seen_inside=point.time == first_ever,
        )
        state.candidate = candidate
    candidate.max_depth_km = max(candidate.max_depth_km, depth)
    return candidate


def _confirmed(rule: ForeignAirspaceRule, candidate: Candidate, point: TrackPoint) -> bool:
    """Inside long enough and deep enough for the entry to count."""
    long_enough = point.time - candidate.since >= rule.enter_confirm_s
    return long_enough and candidate.max_depth_km >= rule.enter_depth_km


def _facts(episode: Episode, point: TrackPoint) -> AirspaceFacts:
    inside = point.country == episode.country
    return AirspaceFacts(
        country=episode.country,
        depth_km=(point.depth_km or 0.0) if inside else 0.0,
        max_depth_km=episode.max_depth_km,
        entered_at=episode.start,
        entry_lat=episode.entry_lat,
        entry_lon=episode.entry_lon,
        first_seen_inside=episode.first_seen_inside,
    )


def _event(
    rule: ForeignAirspaceRule, kind: str, episode: Episode, point: TrackPoint, note: str
) -> Event:
    assert kind in ("opened", "update")
    return Event(
        rule_id=rule.id,
        kind="opened" if kind == "opened" else "update",
        episode_start=episode.start,
        at=point.time,
        point=point,
        facts=_facts(episode, point),
        note=note,
    )


def _resolved(
    rule: ForeignAirspaceRule,
    episode: Episode,
    point: TrackPoint,
    at: float,
    note: str,
    *,
    ended_at: float,
) -> Event:
    return Event(
        rule_id=rule.id,
        kind="resolved",
        episode_start=episode.start,
        at=at,
        point=point,
        facts=_facts(episode, point),
        note=note,
        ended_at=ended_at,
    )


def _span(seconds: float) -> str:
    """A whole-minute duration: "2 h", "1 h 30 min", "45 min"."""
    hours, minutes = divmod(round(seconds / 60), 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
