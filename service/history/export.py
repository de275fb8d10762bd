"""`borderwatch history export --parquet DIR`: the history as day-partitioned Parquet
(hive layout: DIR/<table>/day=YYYY-MM-DD/*.parquet), written by DuckDB itself, for
ClickHouse, Trino, Spark or DuckDB elsewhere to read when one machine is not enough.

Each table is written with its columns as they are, plus `ts` (the time as a UTC
timestamp) and `day` (the UTC date: the partition). Episodes are partitioned by the
day they started.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from service.history import schema

# (table, its time column)
TABLES = ((schema.POINTS, "time"), (schema.EPISODES, "start"))


@dataclass(frozen=True, slots=True)
class Exported:
    table: str
    rows: int
    days: int


def _utc(column: str) -> str:
    return f"make_timestamp(CAST(round({column} * 1e6) AS BIGINT))"


def export_parquet(con: duckdb.DuckDBPyConnection, folder: Path) -> list[Exported]:
    """Write every table under `folder` (replacing an earlier export's files of the
    same days); what was written, per table."""
    out = []
    for table, column in TABLES:
        target = folder / table
        target.mkdir(parents=True, exist_ok=True)
        select = f"SELECT *, {_utc(column)} AS ts, CAST({_utc(column)} AS DATE) AS day FROM {table}"
        path = str(target).replace("'", "''")
        con.execute(
            f"COPY ({select}) TO '{path}' "
            "(FORMAT parquet, PARTITION_BY (day), OVERWRITE_OR_IGNORE, "
            "FILENAME_PATTERN 'part_{i}')"
        )
        counted = con.execute(
            f"SELECT count(*), count(DISTINCT CAST({_utc(column)} AS DATE)) FROM {table}"
        ).fetchone()
        rows, days = counted if counted is not None else (0, 0)
        out.append(Exported(table, int(rows), int(days)))
    return out
