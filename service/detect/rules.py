"""The rule registry (rule type name -> evaluate function and state type) and the
detect stage that runs it.

Every evaluate function has the same shape,
`evaluate(rule, identity, track, state, now) -> (state, events)`, and does no I/O;
the fleet owns the states and saves them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

from service.detect import foreign_airspace, loiter, signal_lost, squawk
from service.detect.events import Event
from service.models import Identity
from service.settings import Rule
from service.track import Track
from service.track.fleet import Aircraft

Evaluate = Callable[[Any, Identity, Track, Any, float], tuple[msgspec.Struct, list[Event]]]


@dataclass(frozen=True, slots=True)
class RuleType:
    evaluate: Evaluate
    state_type: type[msgspec.Struct]
    # Feed time of track, point by point, the rule looks back over (the track keeps at
    # least this much in full detail; older history is thinned).
    history_s: Callable[[Any], float] = lambda rule: 0.0


RULE_TYPES: dict[str, RuleType] = {
    "foreign_airspace": RuleType(foreign_airspace.evaluate, foreign_airspace.AirspaceState),
    "loiter": RuleType(loiter.evaluate, loiter.LoiterState, loiter.history_s),
    "signal_lost": RuleType(
        signal_lost.evaluate, signal_lost.SignalState, lambda rule: signal_lost.DESCENT_WINDOW_S
    ),
    "squawk": RuleType(squawk.evaluate, squawk.SquawkState),
}


def run_rules(
    rules: list[Rule],
    identity: Identity,
    track: Track,
    states: dict[str, msgspec.Struct],
    now: float,
) -> list[Event]:
    """Evaluate every rule that selects the aircraft, updating `states` in place."""
    events: list[Event] = []
    for rule in rules:
        if not rule.select.covers(identity):
            continue
        rule_type = RULE_TYPES[rule.type]
        new_state, rule_events = rule_type.evaluate(rule, identity, track, states.get(rule.id), now)
        states[rule.id] = new_state
        events.extend(rule_events)
    return events


def open_rules(states: dict[str, msgspec.Struct]) -> list[str]:
    """Ids of the rules whose state holds an open episode."""
    return [rule for rule, state in states.items() if getattr(state, "episode", None) is not None]


def has_open_episode(states: dict[str, msgspec.Struct]) -> bool:
    """Whether any rule state holds an open episode (the aircraft must not be forgotten)."""
    return bool(open_rules(states))


class Detector:
    """The detect stage: every enabled rule over every followed aircraft."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: list[Rule] = [rule for rule in rules if rule.enabled]
        self.rules_by_id = {rule.id: rule for rule in self.rules}

    def wants(self, identity: Identity) -> bool:
        """Whether some rule selects this aircraft (only those are followed)."""
        return any(rule.select.covers(identity) for rule in self.rules)

    def detect(self, fleet: Iterable[Aircraft], now: float) -> list[tuple[Aircraft, Event]]:
        """Advance every rule of every aircraft to feed time `now`; the events found.

        An aircraft whose rule states changed is marked dirty, so the fleet saves it.
        """
        events: list[tuple[Aircraft, Event]] = []
        for aircraft in fleet:
            # An aircraft with new points is saved anyway; only for a silent one is it
            # worth comparing the states (time alone may have changed them).
            before = None if aircraft.dirty else msgspec.json.encode(aircraft.rule_states)
            found = run_rules(
                self.rules, aircraft.identity, aircraft.track, aircraft.rule_states, now
            )
            if found or (
                before is not None and msgspec.json.encode(aircraft.rule_states) != before
            ):
                aircraft.dirty = True
            events.extend((aircraft, event) for event in found)
        return events

    def history_s(self) -> float:
        """The longest look-back, in feed time, of any enabled rule."""
        return max((RULE_TYPES[rule.type].history_s(rule) for rule in self.rules), default=0.0)

    def decode_state(self, rule_id: str, raw: bytes) -> msgspec.Struct | None:
        """A rule's saved state; None when the rule is no longer configured."""
        rule = self.rules_by_id.get(rule_id)
        if rule is None:
            return None
        return msgspec.json.decode(raw, type=RULE_TYPES[rule.type].state_type)

    def open_episodes(self, fleet: Iterable[Aircraft]) -> dict[str, int]:
        """Open episodes per rule id (every enabled rule listed, 0 when none)."""
        counts = dict.fromkeys(self.rules_by_id, 0)
        for aircraft in fleet:
            for rule_id in open_rules(aircraft.rule_states):
                if rule_id in counts:
                    counts[rule_id] += 1
        return counts
