"""The `borderwatch` command line: one entry point, `--help` on every command."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import structlog

from service import alerts_cmd, logs
from service.settings import ConfigError, Settings, load_settings

log = structlog.get_logger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logs.configure(level=args.log_level, json=args.log_json)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"borderwatch: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="borderwatch",
        description="Alerts for government and military aircraft in foreign airspace or loitering.",
    )
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    parser.add_argument(
        "--log-json",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="JSON logs (default: JSON unless stderr is a terminal)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    replay = commands.add_parser(
        "replay",
        help="run a recording through the whole pipeline",
        description="Replay a JSONL or gzip JSONL recording of snapshots "
        '({"now": <unix s>, "aircraft": [...]}, readsb field names) on its own clock, '
        "as fast as possible. Prints one JSON line per notification on stdout "
        "(or delivers them with --deliver); logs go to stderr.",
    )
    replay.add_argument("file", help="recording path, or - for standard input")
    replay.add_argument("--config", type=Path, help="config file (default config/borderwatch.yaml)")
    replay.add_argument(
        "--deliver", action="store_true", help="send to the configured receivers instead"
    )
    replay.set_defaults(func=_cmd_replay)

    backtest = commands.add_parser(
        "backtest",
        help="score the rules on labelled recordings (precision, recall, delay)",
        description="Run recordings through the whole pipeline in memory and score each "
        "rule against a labels file (format: docs/backtest.md): precision, recall and "
        "detection delay per rule, a table on stdout. A progress bar is drawn on stderr "
        "when it is a terminal.",
    )
    backtest.add_argument(
        "recordings", nargs="+", type=Path, metavar="RECORDING", help="recording file or folder"
    )
    backtest.add_argument("labels", type=Path, metavar="LABELS", help="labels JSON file")
    backtest.add_argument(
        "--config", type=Path, help="config file (default config/borderwatch.yaml)"
    )
    backtest.add_argument(
        "--watch-all",
        action="store_true",
        help="treat every aircraft in the recordings as government (identify watch list)",
    )
    backtest.add_argument(
        "--anywhere",
        action="store_true",
        help="loiter rules count orbits at home too (abroad_only off)",
    )
    backtest.add_argument("--json", action="store_true", help="one JSON document instead")
    backtest.set_defaults(func=_cmd_backtest)

    config = commands.add_parser("config", help="validate the configuration or print its schema")
    config_commands = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    validate = config_commands.add_parser("validate", help="check a config file and exit")
    validate.add_argument("--config", type=Path)
    validate.set_defaults(func=_cmd_config_validate)
    schema = config_commands.add_parser("schema", help="print the config JSON Schema")
    schema.set_defaults(func=_cmd_config_schema)
    docs = config_commands.add_parser("docs", help="print the configuration reference (Markdown)")
    docs.set_defaults(func=_cmd_config_docs)

    where = commands.add_parser("where", help="whose airspace holds a point")
    where.add_argument("lat", type=float)
    where.add_argument("lon", type=float)
    where.add_argument("--config", type=Path)
    where.set_defaults(func=_cmd_where)

    identify = commands.add_parser("identify", help="identify an aircraft by its address")
    identify.add_argument("hex")
    identify.add_argument("--callsign")
    identify.add_argument("--registration")
    identify.add_argument("--db-flags", type=int, default=0)
    identify.add_argument("--config", type=Path)
    identify.set_defaults(func=_cmd_identify)

    candidates = commands.add_parser(
        "candidates",
        help="aircraft called state aircraft on weak evidence only, from a recording",
        description="Replay a recording (in memory, nothing delivered) and print, one JSON "
        "line each, the aircraft identified only by a callsign designator or a VRS-only "
        "military range. Promote real ones by adding the hex to identify.watch or to a "
        "plane-alert-db list in identify.lists.",
    )
    candidates.add_argument("file", help="recording path, or - for standard input")
    candidates.add_argument("--config", type=Path)
    candidates.set_defaults(func=_cmd_candidates)

    boundaries = commands.add_parser("boundaries", help="build the boundary index")
    boundary_commands = boundaries.add_subparsers(dest="boundary_command", required=True)
    build = boundary_commands.add_parser(
        "build", help="download the maritime boundaries (npm) and build the index"
    )
    build.add_argument("--out", type=Path, default=Path("var/boundaries.bin"))
    build.set_defaults(func=_cmd_boundaries_build)

    feeds = commands.add_parser("feeds", help="inspect feed data")
    feed_commands = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    feed_decode = feed_commands.add_parser(
        "decode",
        help="print the normalised positions of a saved response or SBS capture",
        description="Decode a saved feed response (or SBS capture) as the service would; "
        "print one JSON line per position (hex, time, lat, lon, alt_ft, gs_kt, track_deg, "
        "callsign, source) on stdout and a summary of rejects on stderr.",
    )
    feed_decode.add_argument(
        "--format", required=True, choices=["adsbx", "readsb", "opensky", "sbs"]
    )
    feed_decode.add_argument("file", type=Path, help="saved response or capture")
    feed_decode.set_defaults(func=_cmd_feeds_decode)

    alerts_cmd.register(commands)  # silences, ack, deadletters (service/alerts_cmd.py)

    run = commands.add_parser("run", help="run the service (HTTP /metrics, feeds, alerts)")
    run.add_argument("--config", type=Path)
    run.set_defaults(func=_cmd_run)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(getattr(args, "config", None))


def _cmd_backtest(args: argparse.Namespace) -> int:
    from service.backtest import BacktestError, run_command

    if args.log_level == "info":
        # An info line per alert would drown the table; --log-level debug shows them.
        logs.configure(level="warning", json=args.log_json)
    settings = _settings(args)
    try:
        asyncio.run(
            run_command(
                settings,
                args.recordings,
                args.labels,
                watch_all=args.watch_all,
                anywhere=args.anywhere,
                as_json=args.json,
                out=sys.stdout,
            )
        )
    except BacktestError as exc:
        print(f"borderwatch backtest: {exc}", file=sys.stderr)
        return 2
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from service.replay_cmd import replay

    settings = _settings(args)
    summary = asyncio.run(replay(settings, args.file, deliver=args.deliver, out=sys.stdout))
    print(summary, file=sys.stderr)
    return 0


def _cmd_config_validate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    rules = ", ".join(f"{r.id} ({r.type})" for r in settings.rules) or "none"
    print(f"config ok: rules {rules}; receivers {len(settings.receivers)}")
    return 0


def _cmd_config_schema(args: argparse.Namespace) -> int:
    print(json.dumps(Settings.model_json_schema(), indent=2))
    return 0


def _cmd_config_docs(args: argparse.Namespace) -> int:
    from service.settings.docs import render

    print(render(), end="")
    return 0


def _cmd_where(args: argparse.Namespace) -> int:
    from service.locate import Boundaries

    settings = _settings(args)
    location = Boundaries.load(settings.boundaries.path).locate(args.lat, args.lon)
    depth = None if location.depth_km is None else round(location.depth_km, 2)
    print(json.dumps({"country": location.country, "name": location.name, "depth_km": depth}))
    return 0


def _cmd_identify(args: argparse.Namespace) -> int:
    from service.app import build_identifier
    from service.identify.identify import verdict_json

    verdict = build_identifier(_settings(args)).identify(
        args.hex.lower(), args.callsign, args.registration, args.db_flags
    )
    print(json.dumps(verdict_json(args.hex.lower(), verdict)))
    return 0


def _cmd_candidates(args: argparse.Namespace) -> int:
    from service.candidates_cmd import list_candidates

    summary = asyncio.run(list_candidates(_settings(args), args.file, out=sys.stdout))
    print(summary, file=sys.stderr)
    return 0


def _cmd_boundaries_build(args: argparse.Namespace) -> int:
    import subprocess

    started = time.monotonic()
    command = [sys.executable, "-m", "service.locate.build", "--out", str(args.out)]
    result = subprocess.run(command, check=False)
    log.info("boundaries.built", seconds=round(time.monotonic() - started, 1), out=str(args.out))
    return result.returncode


def _cmd_feeds_decode(args: argparse.Namespace) -> int:
    from service.feeds_cmd import decode_file

    return decode_file(args.file, args.format, sys.stdout, sys.stderr)


def _cmd_run(args: argparse.Namespace) -> int:
    from service.service import run_service

    return asyncio.run(run_service(_settings(args)))


if __name__ == "__main__":
    raise SystemExit(main())
