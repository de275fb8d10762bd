"""`borderwatch history import|export|prune` and `borderwatch report hours-abroad|episodes`:
the durable history (docs/history.md).

The history file belongs to one process at a time (DuckDB): while `borderwatch run`
writes it, these commands cannot open it; the service answers the same reports on
/api/reports/hours-abroad and /api/history/episodes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.cli.common import add_config, settings_of
from service.cli.errors import RuntimeFailure, UsageError, one_line

if TYPE_CHECKING:
    import duckdb

    from service.settings import Settings

# DuckDB and the pipeline are imported by the commands that use them, not here.


def register(commands: Any) -> None:
    """Add the `history` and `report` groups to the `borderwatch` parser."""
    history = commands.add_parser(
        "history", help="the durable history: import recordings and trace files, export"
    )
    actions = history.add_subparsers(dest="history_command", required=True, metavar="ACTION")
    load = actions.add_parser(
        "import",
        help="load recordings (JSONL, gzip) and readsb trace files into the history",
        description="Run each file through the pipeline (identify, locate, track, detect) "
        "into the history file. Recordings are JSONL snapshots (gzip or not); trace files "
        "are readsb's trace_full_<hex>.json (gzip or not). Importing a file again adds "
        "nothing. A file that cannot be read prints one line naming it and is skipped; "
        "the exit status is then 2 (0 when every file was imported).",
    )
    load.add_argument("files", nargs="+", type=Path, metavar="FILE")
    load.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="files played at once, each in a process of its own (default: the CPUs)",
    )
    load.add_argument(
        "--watch-all",
        action="store_true",
        help="treat every aircraft in the files as government (civil test data)",
    )
    add_config(load)
    load.set_defaults(func=import_command)
    export = actions.add_parser(
        "export", help="write the history as day-partitioned Parquet (hive layout)"
    )
    export.add_argument(
        "--parquet",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder to write <table>/day=YYYY-MM-DD/*.parquet under",
    )
    add_config(export)
    export.set_defaults(func=export_command)
    prune = actions.add_parser(
        "prune", help="delete what is older than history.*_retention_days now"
    )
    add_config(prune)
    prune.set_defaults(func=prune_command)

    report = commands.add_parser("report", help="reports from the history: hours abroad, episodes")
    kinds = report.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    hours = kinds.add_parser(
        "hours-abroad",
        help="flight hours, hours in foreign sovereign airspace, share, per country",
        description="Flight hours observed and hours inside foreign sovereign airspace "
        "(land plus 12 nm) per aircraft, operator, state or country, measured on the "
        "stored track points (docs/history.md: the rule).",
    )
    hours.add_argument(
        "--by",
        choices=["aircraft", "operator", "state", "country"],
        default="aircraft",
        help="one line per (default aircraft)",
    )
    hours.add_argument(
        "--gap",
        type=float,
        default=None,
        metavar="SECONDS",
        help="positions further apart are not flown (default history.gap_s)",
    )
    _filters(hours)
    hours.set_defaults(func=hours_command)
    listing = kinds.add_parser("episodes", help="the episodes in the history")
    listing.add_argument(
        "--rule-type",
        choices=["foreign_airspace", "loiter", "signal_lost", "squawk"],
        help="only episodes of this rule type",
    )
    listing.add_argument("--country", help="only episodes in this country (alpha-2)")
    listing.add_argument("--limit", type=int, default=1000, help="at most (default 1000)")
    _filters(listing)
    listing.set_defaults(func=episodes_command)


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        type=since_time,
        metavar="DATE",
        help="from this UTC date or time (2025-08-13, 2025-08-13T08:00Z)",
    )
    parser.add_argument(
        "--until",
        type=until_time,
        metavar="DATE",
        help="up to this time; a date alone includes that whole day",
    )
    parser.add_argument(
        "--state",
        type=_state,
        metavar="ISO2",
        help="only aircraft of this state of registry (alpha-2, e.g. US)",
    )
    parser.add_argument(
        "--format",
        choices=["table", "json", "csv"],
        default="table",
        help="table (default), one JSON array, or CSV",
    )
    add_config(parser)


def _state(text: str) -> str:
    if len(text) != 2 or not text.isalpha():
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO alpha-2 code such as US")
    return text.upper()


def _parse(text: str) -> tuple[float, bool]:
    """(unix s, whether only a date was given)."""
    try:
        return float(text), False
    except ValueError:
        pass
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp(), True
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (2025-08-13), a time (2025-08-13T08:00Z) or unix seconds"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp(), False


def since_time(text: str) -> float:
    """An argparse type: the start of a window."""
    return _parse(text)[0]


def until_time(text: str) -> float:
    """An argparse type: the end of a window (a date alone: the end of that day)."""
    value, only_date = _parse(text)
    return value + timedelta(days=1).total_seconds() if only_date else value


def _open(settings: Settings, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    from service.history.writer import HistoryError, connect

    try:
        return connect(settings.history.file(settings.boundaries.path), read_only=read_only)
    except HistoryError as exc:
        raise RuntimeFailure(str(exc)) from None


def import_command(args: argparse.Namespace) -> int:
    """Import the files; one summary line on stdout, a line per refused file on stderr."""
    from service.app import build_history, build_pipeline
    from service.backtest.runner import Progress
    from service.history.importer import import_files
    from service.history.writer import HistoryError
    from service.locate import Boundaries
    from service.pipeline.heap import settle_heap
    from service.store import MemoryStore

    settings = settings_of(args)
    boundaries = Boundaries.load(settings.boundaries.path)
    pipeline = build_pipeline(settings, MemoryStore(), _metrics(), boundaries)
    try:
        history = build_history(settings, pipeline, None, wait=True)
    except HistoryError as exc:
        raise RuntimeFailure(str(exc)) from None
    settle_heap()
    before = _counts(history.file.reader())

    def refused(path: Path, why: str) -> None:
        print(f"borderwatch: {one_line(str(path))}: {why}", file=sys.stderr)

    try:
        summary = asyncio.run(
            import_files(
                settings,
                boundaries,
                args.files,
                history,
                watch_all=args.watch_all,
                progress=Progress(),
                refused=refused,
                jobs=max(1, args.jobs),
            )
        )
        after = _counts(history.file.reader())
    finally:
        history.close()
    rejected = sum(summary.rejected.values())
    print(
        f"imported {summary.files} of {len(args.files)} files: {summary.positions:,} positions "
        f"({rejected:,} rejected) in {summary.seconds:.1f} s; history "
        f"{history.file.path}: +{after[0] - before[0]:,} track points, "
        f"+{after[1] - before[1]:,} episodes"
        + (
            f"; {sum(history.file.dropped.values()):,} rows not written"
            if history.file.dropped
            else ""
        )
    )
    return 2 if summary.refused else 0


def _metrics() -> Any:
    from service.metrics import Metrics

    return Metrics()


def _counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    from service.history import schema

    points = con.execute(f"SELECT count(*) FROM {schema.POINTS}").fetchone()
    episodes = con.execute(f"SELECT count(*) FROM {schema.EPISODES}").fetchone()
    return (points[0] if points else 0, episodes[0] if episodes else 0)


def export_command(args: argparse.Namespace) -> int:
    """Write the Parquet export; a line per table."""
    from service.history.export import export_parquet

    settings = settings_of(args)
    con = _open(settings, read_only=True)
    try:
        for exported in export_parquet(con, args.parquet):
            print(
                f"{exported.table}: {exported.rows:,} rows over {exported.days} days -> "
                f"{args.parquet / exported.table}"
            )
    finally:
        con.close()
    return 0


def prune_command(args: argparse.Namespace) -> int:
    """Apply the retention now."""
    from service.history.retention import Retention

    settings = settings_of(args)
    history = settings.history
    con = _open(settings, read_only=False)
    try:
        points, episodes = Retention(
            history.points_retention_days, history.episodes_retention_days
        ).prune(con, time.time())
    finally:
        con.close()
    print(f"deleted {points:,} track points and {episodes:,} episodes")
    return 0


def _report_filters(args: argparse.Namespace, settings: Settings) -> Any:
    from service.history.reports import Filters

    if args.since is not None and args.until is not None and args.until <= args.since:
        raise UsageError("--until must be after --since")
    gap = getattr(args, "gap", None)
    if gap is not None and not gap > 0:
        raise UsageError("--gap must be more than 0 seconds")
    return Filters(
        since=args.since,
        until=args.until,
        state=args.state,
        gap_s=gap if gap is not None else settings.history.gap_s,
        rule_type=getattr(args, "rule_type", None),
        country=args.country.upper() if getattr(args, "country", None) else None,
    )


def hours_command(args: argparse.Namespace) -> int:
    """The hours-abroad report on stdout."""
    from service.history.formats import hours_text
    from service.history.reports import hours_abroad

    settings = settings_of(args)
    filters = _report_filters(args, settings)
    con = _open(settings, read_only=True)
    try:
        rows = hours_abroad(con, args.by, filters)
    finally:
        con.close()
    sys.stdout.write(hours_text(rows, args.format, args.by))
    return 0


def episodes_command(args: argparse.Namespace) -> int:
    """The episodes report on stdout."""
    from service.history.formats import episodes_text
    from service.history.reports import episodes

    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    settings = settings_of(args)
    filters = _report_filters(args, settings)
    con = _open(settings, read_only=True)
    try:
        rows = episodes(con, filters, limit=args.limit)
    finally:
        con.close()
    sys.stdout.write(episodes_text(rows, args.format))
    return 0
