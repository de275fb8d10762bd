"""Score backtest episodes against labels: precision, recall and detection delay per rule.

loiter: an episode is true when it overlaps a labelled orbit interval of the same
aircraft, false otherwise. Recall counts the labelled intervals the rule could catch
(eligible: at least the rule's `min_duration_s` long, of an aircraft the rule
selects, and for `abroad_only` rules centred outside the aircraft's own state) that
some episode of that aircraft overlaps. Delay is the first overlapping episode's
opened notification minus the interval start, 0 when it was already open.

foreign_airspace: an episode is true when the country entered is one the labels list
for the recording (land only, so entries into territorial sea count as false).
Recall, over recordings labelled `crosses_border_land`: labelled countries that some
selected aircraft registered elsewhere could enter, and that an episode entered.
Delay is the opened notification minus the first position inside. Each aircraft's
crossings are listed as a country path, e.g. "ac671b US: BZ>MX>US". An aircraft with
labelled `crossings` is judged entry by entry instead: an episode is true when it
enters a labelled country starting within two polls of the labelled entry (each entry
matches one episode), the labelled entries are its eligible ones, and the delay is
the opened notification minus the labelled entry.

Flights labelled `quiet` must raise nothing: any episode of theirs, of any rule, is a
false alert. Other rule types have no labels otherwise: their episodes are counted.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from service.backtest.labels import Crossing, Orbit, RecordingLabels
from service.backtest.runner import Episode, RecordingRun
from service.models import Identity
from service.settings import ForeignAirspaceRule, LoiterRule, Rule

Locate = Callable[[float, float], str | None]  # position -> sovereign country or None


@dataclass(slots=True)
class Score:
    """Counts for one rule, over one recording or over all of them."""

    rule_id: str
    rule_type: str
    episodes: int = 0
    true: int | None = None  # None: the rule type has no labels to judge by
    false: int | None = None
    eligible: int | None = None
    found: int | None = None
    delays: list[float] = field(default_factory=list)
    crossings: list[str] = field(default_factory=list)
    quiet_false: int = 0  # episodes on flights labelled quiet (in `false` too)
    shapes_checked: int = 0  # found loiters with a labelled shape and a reported one
    shapes_right: int = 0

    @property
    def precision(self) -> float | None:
        judged = (self.true or 0) + (self.false or 0)
        return None if self.true is None or judged == 0 else self.true / judged

    @property
    def recall(self) -> float | None:
        return None if not self.eligible else (self.found or 0) / self.eligible

    @property
    def delay_median_s(self) -> float | None:
        return statistics.median(self.delays) if self.delays else None

    @property
    def delay_max_s(self) -> float | None:
        return max(self.delays) if self.delays else None

    def add(self, other: Score) -> None:
        """Accumulate another recording's counts for the same rule."""
        self.episodes += other.episodes
        for name in ("true", "false", "eligible", "found"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if theirs is not None:
                setattr(self, name, (mine or 0) + theirs)
        self.delays.extend(other.delays)
        self.crossings.extend(other.crossings)
        self.quiet_false += other.quiet_false
        self.shapes_checked += other.shapes_checked
        self.shapes_right += other.shapes_right


def score_recording(
    rules: Iterable[Rule], run: RecordingRun, labels: RecordingLabels | None, locate: Locate
) -> list[Score]:
    """One Score per rule for one recording."""
    scores = []
    for rule in rules:
        episodes = [e for e in run.episodes if e.rule_id == rule.id]
        score = Score(rule.id, rule.type, episodes=len(episodes))
        if labels is not None and isinstance(rule, LoiterRule):
            _loiter(score, rule, episodes, run.identities, labels, locate)
        elif labels is not None and isinstance(rule, ForeignAirspaceRule):
            _crossings(score, rule, episodes, run.identities, labels, 2 * run.poll_s)
        if labels is not None and labels.quiet:
            score.quiet_false = sum(1 for e in episodes if e.hex in labels.quiet)
            if score.true is None and score.quiet_false:
                score.false = score.quiet_false
        scores.append(score)
    return scores


def _overlaps(episode: Episode, orbit: Orbit) -> bool:
    return episode.hex == orbit.hex and episode.start <= orbit.end and orbit.start <= episode.end


def _loiter(
    score: Score,
    rule: LoiterRule,
    episodes: list[Episode],
    identities: dict[str, Identity],
    labels: RecordingLabels,
    locate: Locate,
) -> None:
    score.true = sum(
        1
        for e in episodes
        if e.hex not in labels.quiet and any(_overlaps(e, o) for o in labels.orbits)
    )
    score.false = len(episodes) - score.true
    score.eligible = score.found = 0
    for orbit in labels.orbits:
        identity = identities.get(orbit.hex)
        if orbit.duration_s < rule.min_duration_s or identity is None:
            continue
        if not rule.select.covers(identity):
            continue
        home = orbit.center is not None and locate(*orbit.center) == identity.state
        if rule.abroad_only and home:
            continue
        score.eligible += 1
        overlapping = sorted(
            (e for e in episodes if _overlaps(e, orbit)), key=lambda e: e.opened_at
        )
        if overlapping:
            score.found += 1
            score.delays.append(max(0.0, overlapping[0].opened_at - orbit.start))
            if orbit.shape is not None and overlapping[0].shape is not None:
                score.shapes_checked += 1
                score.shapes_right += overlapping[0].shape == orbit.shape


def _crossings(
    score: Score,
    rule: ForeignAirspaceRule,
    episodes: list[Episode],
    identities: dict[str, Identity],
    labels: RecordingLabels,
    tolerance_s: float,
) -> None:
    by_entry = [e for e in episodes if e.hex in labels.crossing_hexes]
    by_country = [e for e in episodes if e.hex not in labels.crossing_hexes]
    score.true = sum(
        1 for e in by_country if e.country in labels.countries and e.hex not in labels.quiet
    )
    score.delays.extend(e.opened_at - e.start for e in by_country)
    score.eligible = score.found = 0
    if labels.crossings or labels.crossing_hexes:
        _entries(score, rule, by_entry, identities, labels.crossings, tolerance_s)
    score.false = len(episodes) - score.true
    if labels.crosses_border:
        watched = [i for i in identities.values() if rule.select.covers(i) and i.state]
        watched = [i for i in watched if i.hex not in labels.crossing_hexes]
        expected = {c for c in labels.countries if any(i.state != c for i in watched)}
        if rule.countries:
            expected &= set(rule.countries)
        entered = {e.country for e in by_country}
        score.eligible += len(expected)
        score.found += len(expected & entered)
    if not labels.crosses_border and not labels.crossing_hexes:
        score.eligible = score.found = None
    for hex_ in sorted({e.hex for e in episodes}):
        identity = identities.get(hex_)
        state = identity.state if identity is not None and identity.state else "??"
        mine = [e for e in episodes if e.hex == hex_]
        score.crossings.append(f"{hex_} {state}: {country_path(mine)}")


def _entries(
    score: Score,
    rule: ForeignAirspaceRule,
    episodes: list[Episode],
    identities: dict[str, Identity],
    crossings: tuple[Crossing, ...],
    tolerance_s: float,
) -> None:
    """Judge the episodes of aircraft whose entries are labelled one by one."""
    unmatched = sorted(episodes, key=lambda e: e.start)
    assert score.true is not None and score.eligible is not None and score.found is not None
    for crossing in crossings:
        identity = identities.get(crossing.hex)
        match = next(
            (
                e
                for e in unmatched
                if e.hex == crossing.hex
                and e.country == crossing.country
                and abs(e.start - crossing.time) <= tolerance_s
            ),
            None,
        )
        if match is not None:
            unmatched.remove(match)
            score.true += 1
        eligible = identity is not None and rule.select.covers(identity)
        if eligible and identity is not None:
            eligible = identity.state != crossing.country
            eligible = eligible and (not rule.countries or crossing.country in rule.countries)
            eligible = eligible and f"{identity.state}>{crossing.country}" not in rule.allow
        if not eligible:
            continue
        score.eligible += 1
        if match is not None:
            score.found += 1
            score.delays.append(match.opened_at - crossing.time)


def country_path(episodes: list[Episode]) -> str:
    """The countries one aircraft's episodes show it in, in order: "sea>BZ>MX>sea>US"."""
    path: list[str] = []

    def visit(country: str) -> None:
        if not path or path[-1] != country:
            path.append(country)

    previous: Episode | None = None
    for episode in sorted(episodes, key=lambda e: e.start):
        # Where it came from is only news when the last exit was not seen (a silence):
        # an exit straight into the next country already named it.
        if episode.came_from is not None and (previous is None or previous.exit_to is None):
            visit(episode.came_from or "sea")
        visit(episode.country or "??")
        if episode.exit_to is not None:
            visit(episode.exit_to or "sea")
        if episode.landfall is not None:
            visit(episode.landfall)
        previous = episode
    return ">".join(path)
