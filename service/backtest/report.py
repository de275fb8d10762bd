"""Backtest results as a plain-text table (stdout) or one JSON document (`--json`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from service.backtest.runner import RecordingRun
from service.backtest.score import Score
from service.tables import text_table


@dataclass(slots=True)
class Report:
    """Everything one backtest produced."""

    options: dict[str, Any]
    runs: list[RecordingRun] = field(default_factory=list)
    scores: dict[str, list[Score]] = field(default_factory=dict)  # recording -> per rule
    totals: list[Score] = field(default_factory=list)  # per rule, over all recordings
    unlabelled: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _num(value: int | None) -> str:
    return "-" if value is None else str(value)


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _minutes(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f} min"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    # Names (the first two columns) left-aligned, figures right-aligned.
    return text_table(header, rows, right=range(2, len(header)))


def render(report: Report) -> str:
    """The summary line, a per-rule table and a per-recording table."""
    positions = sum(run.positions for run in report.runs)
    flags = [name for name in ("watch_all", "anywhere") if report.options.get(name)]
    lines = [
        f"backtest: {len(report.runs)} recordings, {positions:,} positions, "
        f"{report.seconds:.1f} s" + (f" ({', '.join(flags)})" if flags else ""),
        "",
    ]
    header = ["rule", "type", "episodes", "true", "false", "precision"]
    header += ["eligible", "found", "recall", "delay median", "delay max"]
    rows = [
        [
            s.rule_id,
            s.rule_type,
            str(s.episodes),
            _num(s.true),
            _num(s.false),
            _ratio(s.precision),
            _num(s.eligible),
            _num(s.found),
            _ratio(s.recall),
            _minutes(s.delay_median_s),
            _minutes(s.delay_max_s),
        ]
        for s in report.totals
    ]
    lines += _table(header, rows)
    rows = []
    crossings = []
    for run in report.runs:
        for s in report.scores.get(run.name, []):
            if s.episodes or s.eligible:
                rows.append(
                    [
                        run.name,
                        s.rule_id,
                        str(s.episodes),
                        _num(s.true),
                        _num(s.false),
                        _num(s.eligible),
                        _num(s.found),
                        _minutes(s.delay_median_s),
                    ]
                )
            crossings += [f"  {run.name:<20} {s.rule_id}: {path}" for path in s.crossings]
    if rows:
        header = ["recording", "rule", "episodes", "true", "false", "eligible", "found"]
        lines += ["", *_table([*header, "delay median"], rows)]
    if crossings:
        lines += ["", "crossings (country paths per aircraft)", *crossings]
    shapes = [s for s in report.totals if s.shapes_checked]
    if shapes:
        lines += [""] + [
            f"{s.rule_id}: shape right on {s.shapes_right} of {s.shapes_checked} loiters found"
            for s in shapes
        ]
    if report.unlabelled:
        lines += ["", "no labels for: " + ", ".join(report.unlabelled)]
    return "\n".join(lines) + "\n"


def _score_json(score: Score) -> dict[str, Any]:
    return {
        "rule": score.rule_id,
        "type": score.rule_type,
        "episodes": score.episodes,
        "true": score.true,
        "false": score.false,
        "precision": score.precision,
        "eligible": score.eligible,
        "found": score.found,
        "recall": score.recall,
        "delay_median_s": score.delay_median_s,
        "delay_max_s": score.delay_max_s,
        "crossings": score.crossings,
        "quiet_false": score.quiet_false,
        "shapes": {"checked": score.shapes_checked, "right": score.shapes_right},
    }


def to_json(report: Report) -> dict[str, Any]:
    """The whole report as one JSON-ready dict (episodes included)."""
    return {
        "options": report.options,
        "seconds": round(report.seconds, 1),
        "rules": [_score_json(s) for s in report.totals],
        "recordings": [
            {
                "name": run.name,
                "labelled": run.name not in report.unlabelled,
                "snapshots": run.snapshots,
                "positions": run.positions,
                "rejected": run.rejected,
                "seconds": round(run.seconds, 1),
                "rules": [_score_json(s) for s in report.scores.get(run.name, [])],
                "episodes": [asdict(e) for e in run.episodes],
            }
            for run in report.runs
        ],
    }
