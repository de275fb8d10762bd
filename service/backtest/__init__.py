"""`borderwatch backtest`: the rules over labelled recordings, scored per rule.

Every recording runs through the real pipeline (see `runner`), its episodes are
matched against the labels (see `score`) and the figures are printed as a table or
JSON (see `report`). docs/backtest.md describes the labels format and the measures.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TextIO

from service.backtest.labels import BacktestError, RecordingLabels, load_many, recording_name
from service.backtest.report import Report, render, to_json
from service.backtest.runner import Progress, prepare, run_recording, scan
from service.backtest.score import Score, score_recording
from service.locate import Boundaries
from service.settings import Settings

__all__ = [
    "BacktestError",
    "Progress",
    "Report",
    "backtest",
    "find_recordings",
    "groups",
    "run_command",
]

_SUFFIXES = (".jsonl.gz", ".jsonl", ".json.gz")


def find_recordings(paths: list[Path]) -> list[Path]:
    """Files as given; folders expand to their recordings (*.jsonl, *.jsonl.gz), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.name.endswith(_SUFFIXES))
        else:
            found.append(path)
    return found


def groups(paths: list[Path]) -> list[tuple[list[Path], list[Path]]]:
    """Split the command's arguments into (recordings, labels files) groups: each run of
    `.json` files (the labels, overlays after the file they correct) closes the group of
    recordings before it, so `tracks tracks/labels.json devset devset/labels.json` is
    two groups. Raise BacktestError when a group has no recordings or no labels."""
    found: list[tuple[list[Path], list[Path]]] = []
    recordings: list[Path] = []
    labels: list[Path] = []
    for path in paths:
        is_labels = path.name.endswith(".json") and not path.is_dir()
        if is_labels and not recordings:
            raise BacktestError(f"no recordings before {path}")
        if not is_labels and labels:
            found.append((recordings, labels))
            recordings, labels = [], []
        (labels if is_labels else recordings).append(path)
    if recordings and not labels:
        raise BacktestError(f"no labels file (.json) after {recordings[-1]}")
    if recordings:
        found.append((recordings, labels))
    if not found:
        raise BacktestError("give recordings and a labels file")
    return found


async def backtest(
    settings: Settings,
    recordings: list[Path],
    labels: dict[str, RecordingLabels],
    *,
    watch_all: bool = False,
    anywhere: bool = False,
    progress: Progress | None = None,
) -> Report:
    """Run every recording and score each enabled rule on it."""
    started = time.monotonic()
    progress = progress or Progress(enabled=False)
    boundaries = Boundaries.load(settings.boundaries.path)

    def locate(lat: float, lon: float) -> str | None:
        return boundaries.locate(lat, lon).country

    report = Report(options={"watch_all": watch_all, "anywhere": anywhere})
    totals: dict[str, Score] = {}
    for i, path in enumerate(recordings, 1):
        name = recording_name(path)
        scanned = scan(path)
        mine = labels.get(name)
        run_settings = prepare(
            settings, scanned.hexes, watch_all=watch_all, anywhere=anywhere, labels=mine
        )
        progress.start(f"[{i}/{len(recordings)}] {name}", scanned.lines)
        run = await run_recording(run_settings, boundaries, path, name, progress.update)
        run.poll_s = scanned.poll_s
        rules = [rule for rule in run_settings.rules if rule.enabled]
        scores = score_recording(rules, run, mine, locate)
        if name not in labels:
            report.unlabelled.append(name)
        report.runs.append(run)
        report.scores[name] = scores
        for score in scores:
            total = totals.setdefault(score.rule_id, Score(score.rule_id, score.rule_type))
            total.add(score)
    progress.finish()
    report.totals = list(totals.values())
    report.seconds = time.monotonic() - started
    return report


async def run_command(
    settings: Settings,
    inputs: list[Path],
    *,
    watch_all: bool,
    anywhere: bool,
    as_json: bool,
    out: TextIO,
) -> None:
    """The CLI command: recordings and labels files (one or more groups, see `groups`),
    run, print the table or the JSON document."""
    files: list[Path] = []
    labels: dict[str, RecordingLabels] = {}
    origin: dict[str, Path] = {}
    for recordings, labels_paths in groups(inputs):
        group_labels = load_many(labels_paths)
        group_files = find_recordings(recordings)
        missing = [str(p) for p in group_files if not p.is_file()]
        if missing:
            raise BacktestError(f"no such recording: {', '.join(missing)}")
        for path in group_files:
            name = recording_name(path)
            if name in origin:
                raise BacktestError(f"two recordings named {name}: {origin[name]} and {path}")
            origin[name] = path
            if name in group_labels:
                labels[name] = group_labels[name]
        files += group_files
    if not files:
        raise BacktestError("no recordings found (*.jsonl or *.jsonl.gz)")
    report = await backtest(
        settings, files, labels, watch_all=watch_all, anywhere=anywhere, progress=Progress()
    )
    out.write(json.dumps(to_json(report), indent=1) + "\n" if as_json else render(report))
