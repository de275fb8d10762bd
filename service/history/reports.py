"""The reports read from the history file: hours abroad, and the episodes.

Hours are measured on the stored track points (docs/history.md has the exact rule):
each pair of consecutive points of one aircraft no further apart than `gap_s` counts
as flown, from the earlier point's time to the later one's; such an interval counts
as abroad in country C when the earlier point is in C's sovereign airspace (land plus
12 nm, as the boundary index places it) and C is not the aircraft's state. An
interval belongs to the window [since, until) by the time of its earlier point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

import duckdb

from service.history import schema

By = Literal["aircraft", "operator", "state", "country"]
BY: Final[tuple[By, ...]] = ("aircraft", "operator", "state", "country")
UNKNOWN: Final = "(unknown)"
HIGH_SEAS: Final = "(high seas)"
_HOUR: Final = 3600.0

# The grouping key of each `by`, over a relation with hex/operator/state/country columns.
_KEYS: Final[dict[By, str]] = {
    "aircraft": "hex",
    "operator": f"coalesce(operator, '{UNKNOWN}')",
    "state": f"coalesce(state, '{UNKNOWN}')",
    "country": f"coalesce(country, '{HIGH_SEAS}')",
}


@dataclass(frozen=True, slots=True)
class Filters:
    """What a report covers: [since, until) in unix s, one state of registry, the
    gap limit; None: no bound."""

    since: float | None = None
    until: float | None = None
    state: str | None = None
    gap_s: float = 600.0
    hex: str | None = None
    rule_type: str | None = None
    country: str | None = None


@dataclass(slots=True)
class HoursRow:
    """One line of the hours-abroad report."""

    key: str
    label: str  # for an aircraft: callsign, registration or address; else the key
    flight_s: float = 0.0
    abroad_s: float = 0.0
    by_country_s: dict[str, float] = field(default_factory=dict)
    episodes: int = 0
    dark_exits: int = 0

    def as_json(self) -> dict[str, Any]:
        share = self.abroad_s / self.flight_s if self.flight_s else 0.0
        return {
            "key": self.key,
            "label": self.label,
            "flight_hours": _hours(self.flight_s),
            "abroad_hours": _hours(self.abroad_s),
            "abroad_share": round(share, 4),
            "by_country": {c: _hours(s) for c, s in sorted(self.by_country_s.items())},
            "episodes": self.episodes,
            "dark_exits": self.dark_exits,
        }


def _hours(seconds: float) -> float:
    return round(seconds / _HOUR, 4)


def _window(filters: Filters, column: str) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if filters.since is not None:
        where.append(f"{column} >= ?")
        params.append(filters.since)
    if filters.until is not None:
        where.append(f"{column} < ?")
        params.append(filters.until)
    if filters.state is not None:
        where.append("state = ?")
        params.append(filters.state)
    if filters.hex is not None:
        where.append("hex = ?")
        params.append(filters.hex)
    return where, params


def hours_abroad(
    con: duckdb.DuckDBPyConnection, by: By = "aircraft", filters: Filters = Filters()
) -> list[HoursRow]:
    """Flight hours, hours abroad (per country), episodes and dark exits per `by`,
    the most hours abroad first."""
    key = _KEYS[by]
    where, params = _window(filters, "time")
    # Each point's interval to the aircraft's next stored point is kept with it
    # (`next_s`, service/history/schema.py): a scan, no sort.
    legs = f"""
        SELECT {key} AS key,
               CASE WHEN country IS NOT NULL AND state IS NOT NULL AND country <> state
                    THEN country END AS abroad_in,
               sum(next_s) AS seconds
        FROM {schema.POINTS}
        {_where([*where, "next_s IS NOT NULL", "next_s <= ?"])}
        GROUP BY ALL
    """
    rows: dict[str, HoursRow] = {}
    found = con.execute(legs, [*params, filters.gap_s]).fetchall()
    for key_value, abroad_in, seconds in found:
        row = rows.get(key_value)
        if row is None:
            row = rows[key_value] = HoursRow(key=key_value, label=key_value)
        row.flight_s += seconds
        if abroad_in is not None:
            row.abroad_s += seconds
            row.by_country_s[abroad_in] = row.by_country_s.get(abroad_in, 0.0) + seconds
    _count_episodes(con, by, filters, rows)
    if by == "aircraft" and rows:
        _label_aircraft(con, filters, rows)
    return sorted(rows.values(), key=lambda r: (-r.abroad_s, -r.flight_s, r.key))


def _label_aircraft(
    con: duckdb.DuckDBPyConnection, filters: Filters, rows: dict[str, HoursRow]
) -> None:
    """Each aircraft's label: the callsign it flew under last, else its registration."""
    where, params = _window(filters, "time")
    query = f"""
        SELECT hex, arg_max(callsign, time), arg_max(registration, time)
        FROM {schema.POINTS} {_where(where)} GROUP BY hex
    """
    for hex_, callsign, registration in con.execute(query, params).fetchall():
        row = rows.get(hex_)
        if row is not None:
            row.label = callsign or registration or hex_


def _count_episodes(
    con: duckdb.DuckDBPyConnection, by: By, filters: Filters, rows: dict[str, HoursRow]
) -> None:
    where, params = _window(filters, "start")
    query = f"""
        SELECT {_KEYS[by]} AS key, count(*), count(*) FILTER (WHERE ended = 'signal lost'),
               any_value(callsign), any_value(registration)
        FROM {schema.EPISODES}
        {_where([*where, "rule_type = 'foreign_airspace'"])}
        GROUP BY ALL
    """
    for key_value, episodes, dark, callsign, registration in con.execute(query, params).fetchall():
        row = rows.get(key_value)
        if row is None:
            label = (callsign or registration or key_value) if by == "aircraft" else key_value
            row = rows[key_value] = HoursRow(key=key_value, label=label)
        row.episodes, row.dark_exits = episodes, dark


def episodes(
    con: duckdb.DuckDBPyConnection, filters: Filters = Filters(), limit: int = 1000
) -> list[dict[str, Any]]:
    """Episodes that started in the window, oldest first, as JSON-ready objects."""
    where, params = _window(filters, "start")
    if filters.rule_type is not None:
        where.append("rule_type = ?")
        params.append(filters.rule_type)
    if filters.country is not None:
        where.append("country = ?")
        params.append(filters.country)
    names = ", ".join(f'"{n}"' for n in schema.EPISODE_NAMES)
    query = (
        f"SELECT {names} FROM {schema.EPISODES} {_where(where)} "
        "ORDER BY start, hex, rule_id LIMIT ?"
    )
    out = []
    for values in con.execute(query, [*params, limit]).fetchall():
        row = dict(zip(schema.EPISODE_NAMES, values, strict=True))
        for name in ("entry_lat", "entry_lon", "exit_lat", "exit_lon"):
            if row[name] is not None:
                row[name] = round(row[name], 5)
        if row["max_depth_km"] is not None:
            row["max_depth_km"] = round(row["max_depth_km"], 1)
        row["status"] = "open" if row["end_time"] is None else "closed"
        out.append(row)
    return out


def _where(conditions: list[str]) -> str:
    return f"WHERE {' AND '.join(conditions)}" if conditions else ""
