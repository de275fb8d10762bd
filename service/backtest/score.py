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
crossings are listed as a country path, e.g. "ac671b US: BZ>MX>US".

Other rule types have no labels: their episodes are counted only.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from service.backtest.labels import Orbit, RecordingLabels
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
            _crossings(score, rule, episodes, run.identities, labels)
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
    score.true = sum(1 for e in episodes if any(_overlaps(e, o) for o in labels.orbits))
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
        opened = [e.opened_at for e in episodes if _overlaps(e, orbit)]
        if opened:
            score.found += 1
            score.delays.append(max(0.0, min(opened) - orbit.start))


def _crossings(
    score: Score,
    rule: ForeignAirspaceRule,
    episodes: list[Episode],
    identities: dict[str, Identity],
    labels: RecordingLabels,
) -> None:
    score.true = sum(1 for e in episodes if e.country in labels.countries)
    score.false = len(episodes) - score.true
    score.delays.extend(e.opened_at - e.start for e in episodes)
    if not labels.crosses_border:
        return
    watched = [i for i in identities.values() if rule.select.covers(i) and i.state]
    expected = {c for c in labels.countries if any(i.state != c for i in watched)}
    if rule.countries:
        expected &= set(rule.countries)
    entered = {e.country for e in episodes}
    score.eligible = len(expected)
    score.found = len(expected & entered)
    for hex_ in sorted({e.hex for e in episodes}):
        identity = identities.get(hex_)
        state = identity.state if identity is not None and identity.state else "??"
        mine = [e for e in episodes if e.hex == hex_]
        score.crossings.append(f"{hex_} {state}: {country_path(mine)}")


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
