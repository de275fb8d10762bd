"""The history file's tables: names, columns and DDL in one place (docs/history.md).

Times are unix seconds (DOUBLE), as everywhere inside the service; the Parquet export
adds a timestamp and the day. Natural keys make every write idempotent: an episode is
(hex, rule, start), a track point (hex, time); writing a row again changes nothing
(a point) or merges what is new (an episode: its end, deepest point, identity).
"""

from __future__ import annotations

from typing import Final

SCHEMA_VERSION: Final = 1
EPISODES: Final = "episodes"
POINTS: Final = "track_points"

# (name, SQL type) in table order: the writer's batches and the export follow it.
EPISODE_COLUMNS: Final = (
    ("hex", "VARCHAR NOT NULL"),
    ("rule_id", "VARCHAR NOT NULL"),
    ("start", "DOUBLE NOT NULL"),  # unix s: the first position that counted
    ("rule_type", "VARCHAR NOT NULL"),
    ("callsign", "VARCHAR"),
    ("registration", "VARCHAR"),
    ("type_code", "VARCHAR"),
    ("operator", "VARCHAR"),  # designator or list entry, when known
    ("state", "VARCHAR"),  # ISO alpha-2 of the aircraft's state of registry
    ("category", "VARCHAR NOT NULL"),
    ("country", "VARCHAR"),  # the airspace of the episode (foreign_airspace, signal_lost)
    ("entry_lat", "DOUBLE"),
    ("entry_lon", "DOUBLE"),
    ("end_time", "DOUBLE"),  # unix s; NULL while open
    ("exit_lat", "DOUBLE"),
    ("exit_lon", "DOUBLE"),
    ("duration_s", "DOUBLE"),  # end - start; NULL while open
    ("max_depth_km", "DOUBLE"),
    ("ended", "VARCHAR"),  # left | landed | signal lost | <the rule's note>; NULL while open
    ("updated_at", "DOUBLE NOT NULL"),  # feed time of the last event written
)
POINT_COLUMNS: Final = (
    ("hex", "VARCHAR NOT NULL"),
    ("time", "DOUBLE NOT NULL"),
    ("lat", "DOUBLE NOT NULL"),
    ("lon", "DOUBLE NOT NULL"),
    ("alt_ft", "INTEGER"),
    ("gs_kt", "DOUBLE"),
    ("on_ground", "BOOLEAN NOT NULL"),
    ("country", "VARCHAR"),  # sovereign airspace (land + 12 nm); NULL over the high seas
    ("depth_km", "DOUBLE"),
    ("state", "VARCHAR"),
    ("category", "VARCHAR NOT NULL"),
    ("callsign", "VARCHAR"),
    ("registration", "VARCHAR"),
    ("operator", "VARCHAR"),
)
# Kept by the writer, not written by the recorder: seconds from the point to the same
# aircraft's next stored point (NULL for its last). The reports sum these, so a year's
# report is one scan with no sort.
POINT_DERIVED: Final = (("next_s", "DOUBLE"),)
EPISODE_NAMES: Final = tuple(name for name, _ in EPISODE_COLUMNS)
POINT_NAMES: Final = tuple(name for name, _ in POINT_COLUMNS)


def _table(name: str, columns: tuple[tuple[str, str], ...], key: str) -> str:
    body = ",\n  ".join(f'"{column}" {kind}' for column, kind in columns)
    return f"CREATE TABLE IF NOT EXISTS {name} (\n  {body},\n  PRIMARY KEY ({key})\n)"


DDL: Final = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    _table(EPISODES, EPISODE_COLUMNS, "hex, rule_id, start"),
    _table(POINTS, POINT_COLUMNS + POINT_DERIVED, "hex, time"),
)

# An episode written again keeps what it knew and adds what is new: an end once
# known stays, the deepest point wins, the identity fills in.
_KEEP_FIRST = ("callsign", "registration", "type_code", "operator", "state", "country",
               "entry_lat", "entry_lon")  # fmt: skip
_TAKE_ENDED = ("end_time", "exit_lat", "exit_lon", "duration_s", "ended")


def _upsert_episodes() -> str:
    names = ", ".join(f'"{n}"' for n in EPISODE_NAMES)
    sets = [f'"{n}" = coalesce({EPISODES}."{n}", excluded."{n}")' for n in _KEEP_FIRST]
    sets += [f'"{n}" = coalesce(excluded."{n}", {EPISODES}."{n}")' for n in _TAKE_ENDED]
    sets.append(f"max_depth_km = greatest({EPISODES}.max_depth_km, excluded.max_depth_km)")
    sets.append(f"updated_at = greatest({EPISODES}.updated_at, excluded.updated_at)")
    return (
        f"INSERT INTO {EPISODES} ({names}) SELECT {names} FROM batch "
        f"ON CONFLICT (hex, rule_id, start) DO UPDATE SET {', '.join(sets)}"
    )


UPSERT_EPISODES: Final = _upsert_episodes()
INSERT_POINTS: Final = (
    f"INSERT INTO {POINTS} ({', '.join(POINT_NAMES)}) SELECT {', '.join(POINT_NAMES)} "
    "FROM batch ON CONFLICT (hex, time) DO NOTHING"
)
# After points were inserted (`batch` holds them): `next_s` again for each aircraft of
# the batch, from the stored point before its first new one to the stored point after
# its last (which keeps its own `next_s`). Points may come in any order (imports).
UPDATE_NEXT: Final = f"""
UPDATE {POINTS} SET next_s = n.next_s FROM (
    SELECT p.hex, p.time, r.hi, r.has_next,
           lead(p.time) OVER (PARTITION BY p.hex ORDER BY p.time) - p.time AS next_s
    FROM {POINTS} p JOIN (
        SELECT b.hex,
               coalesce((SELECT max(q.time) FROM {POINTS} q
                         WHERE q.hex = b.hex AND q.time < b.lo), b.lo) AS lo,
               coalesce((SELECT min(q.time) FROM {POINTS} q
                         WHERE q.hex = b.hex AND q.time > b.hi), b.hi) AS hi,
               EXISTS (SELECT 1 FROM {POINTS} q WHERE q.hex = b.hex AND q.time > b.hi)
                   AS has_next
        FROM (SELECT hex, min(time) AS lo, max(time) AS hi FROM batch GROUP BY hex) b
    ) r ON p.hex = r.hex AND p.time BETWEEN r.lo AND r.hi
) n
WHERE {POINTS}.hex = n.hex AND {POINTS}.time = n.time AND NOT (n.has_next AND n.time = n.hi)
"""
