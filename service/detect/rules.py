"""The rule registry: rule type name -> (evaluate function, state type).

Every evaluate function has the same shape,
`evaluate(rule, identity, track, state, now) -> (state, events)`, and does no I/O;
the engine owns the states and saves them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from service.detect import foreign_airspace, loiter, signal_lost, squawk
from service.detect.events import Event
from service.settings import Rule, Selection
from service.track import Identity, Track

Evaluate = Callable[[Any, Identity, Track, Any, float], tuple[msgspec.Struct, list[Event]]]


@dataclass(frozen=True, slots=True)
class RuleType:
    evaluate: Evaluate
    state_type: type[msgspec.Struct]


RULE_TYPES: dict[str, RuleType] = {
    "foreign_airspace": RuleType(foreign_airspace.evaluate, foreign_airspace.AirspaceState),
    "loiter": RuleType(loiter.evaluate, loiter.LoiterState),
    "signal_lost": RuleType(signal_lost.evaluate, signal_lost.SignalState),
    "squawk": RuleType(squawk.evaluate, squawk.SquawkState),
}


def selects(selection: Selection, identity: Identity) -> bool:
    """Whether a rule's selection covers this aircraft."""
    if identity.category not in selection.categories:
        return False
    if selection.states and identity.state not in selection.states:
        return False
    return not selection.hexes or identity.hex in selection.hexes


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
        if not selects(rule.select, identity):
            continue
        rule_type = RULE_TYPES[rule.type]
        new_state, rule_events = rule_type.evaluate(rule, identity, track, states.get(rule.id), now)
        states[rule.id] = new_state
        events.extend(rule_events)
    return events


def has_open_episode(states: dict[str, msgspec.Struct]) -> bool:
    """Whether any rule state holds an open episode (the aircraft must not be forgotten)."""
    return any(getattr(state, "episode", None) is not None for state in states.values())
