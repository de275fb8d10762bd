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
    selecting = [(rule, RULE_TYPES[rule.type].evaluate) for rule in rules]
    return _run(_covering(selecting, identity), identity, track, states, now)


_Selecting = list[tuple[Rule, Evaluate]]
# Identities whose selecting rules a Detector remembers (about 100 bytes each).
_SELECTING_LIMIT = 1 << 16


def _covering(rules: _Selecting, identity: Identity) -> _Selecting:
    return [(rule, evaluate) for rule, evaluate in rules if rule.select.covers(identity)]


def _run(
    rules: _Selecting,
    identity: Identity,
    track: Track,
    states: dict[str, msgspec.Struct],
    now: float,
) -> list[Event]:
    """`run_rules` over the rules already known to select the aircraft."""
    events: list[Event] = []
    for rule, evaluate in rules:
        rule_id = rule.id
        new_state, rule_events = evaluate(rule, identity, track, states.get(rule_id), now)
        states[rule_id] = new_state
        if rule_events:
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
        self._evaluated = [(rule, RULE_TYPES[rule.type].evaluate) for rule in self.rules]
        # The rules that select an identity, by what selection reads (category, state,
        # address): the same aircraft come back every snapshot.
        self._selecting: dict[tuple[str, str | None, str], _Selecting] = {}

    def wants(self, identity: Identity) -> bool:
        """Whether some rule selects this aircraft (only those are followed)."""
        return bool(self._rules_for(identity))

    def detect(self, fleet: Iterable[Aircraft], now: float) -> list[tuple[Aircraft, Event]]:
        """Advance every rule of every aircraft to feed time `now`; the events found.

        An aircraft whose rule states changed is marked dirty, so the fleet saves it.
        """
        events: list[tuple[Aircraft, Event]] = []
        for aircraft in fleet:
            # An aircraft with new points is saved anyway; only for a silent one is it
            # worth comparing the states (time alone may have changed them).
            before = None if aircraft.dirty else msgspec.json.encode(aircraft.rule_states)
            identity = aircraft.identity
            found = _run(
                self._rules_for(identity), identity, aircraft.track, aircraft.rule_states, now
            )
            if found or (
                before is not None and msgspec.json.encode(aircraft.rule_states) != before
            ):
                aircraft.dirty = True
            events.extend((aircraft, event) for event in found)
        return events

    def _rules_for(self, identity: Identity) -> _Selecting:
        """The enabled rules that select `identity`, in configuration order."""
        key = (identity.category, identity.state, identity.hex)
        selecting = self._selecting.get(key)
        if selecting is None:
            if len(self._selecting) >= _SELECTING_LIMIT:
                self._selecting.clear()
            selecting = self._selecting[key] = _covering(self._evaluated, identity)
        return selecting

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
