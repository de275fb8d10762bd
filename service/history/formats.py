"""The reports as text: a table for people, JSON (one array) and CSV for tools."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal

from service.history.reports import HoursRow
from service.tables import text_table

Format = Literal["table", "json", "csv"]
FORMATS: Final[tuple[Format, ...]] = ("table", "json", "csv")


def hours_text(rows: Sequence[HoursRow], fmt: Format, by: str) -> str:
    """The hours-abroad report in `fmt`."""
    objects = [row.as_json() for row in rows]
    if fmt == "json":
        return json.dumps(objects, indent=1) + "\n"
    countries = sorted({c for o in objects for c in o["by_country"]})
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([by, "label", "flight_hours", "abroad_hours", "abroad_share",
                         "episodes", "dark_exits", *[f"hours_{c}" for c in countries]])  # fmt: skip
        for o in objects:
            writer.writerow([o["key"], o["label"], o["flight_hours"], o["abroad_hours"],
                             o["abroad_share"], o["episodes"], o["dark_exits"],
                             *[o["by_country"].get(c, 0.0) for c in countries]])  # fmt: skip
        return out.getvalue()
    header = [
        by,
        "flight h",
        "abroad h",
        "share",
        "episodes",
        "dark exits",
        "hours abroad by country",
    ]
    lines = [
        [
            o["label"] if o["label"] == o["key"] else f"{o['label']} ({o['key']})",
            _hm(o["flight_hours"]),
            _hm(o["abroad_hours"]),
            f"{100 * o['abroad_share']:.1f}%",
            str(o["episodes"]),
            str(o["dark_exits"]),
            ", ".join(f"{c} {_hm(h)}" for c, h in o["by_country"].items()) or "-",
        ]
        for o in objects
    ]
    if not lines:
        return "no flight hours in the history for these filters\n"
    return _table(header, lines, right={1, 2, 3, 4, 5})


def episodes_text(rows: Sequence[dict[str, Any]], fmt: Format) -> str:
    """The episodes report in `fmt`."""
    if fmt == "json":
        return json.dumps(list(rows), indent=1) + "\n"
    columns = ["hex", "rule_id", "rule_type", "callsign", "registration", "operator", "state",
               "category", "country", "start", "end_time", "duration_s", "max_depth_km",
               "entry_lat", "entry_lon", "exit_lat", "exit_lon", "ended", "status"]  # fmt: skip
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row[c] is None else row[c] for c in columns])
        return out.getvalue()
    if not rows:
        return "no episodes in the history for these filters\n"
    header = ["start (UTC)", "aircraft", "state", "rule", "country", "duration", "max depth",
              "ended"]  # fmt: skip
    lines = [
        [
            _when(row["start"]),
            row["callsign"] or row["registration"] or row["hex"],
            row["state"] or "-",
            row["rule_id"],
            row["country"] or "-",
            _hm(row["duration_s"] / 3600) if row["duration_s"] is not None else "open",
            f"{row['max_depth_km']:.0f} km" if row["max_depth_km"] is not None else "-",
            row["ended"] or ("-" if row["status"] == "closed" else "open"),
        ]
        for row in rows
    ]
    return _table(header, lines, right={5, 6})


def _hm(hours: float) -> str:
    """Hours as h:mm (to the minute, as analysts quote them)."""
    minutes = round(hours * 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def _when(unix_s: float) -> str:
    return datetime.fromtimestamp(unix_s, UTC).strftime("%Y-%m-%d %H:%M")


def _table(header: list[str], lines: list[list[str]], right: set[int]) -> str:
    return "\n".join(text_table(header, lines, right, rule=True)) + "\n"
