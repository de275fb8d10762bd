"""Retention: track points older than `history.points_retention_days` and episodes
older than `history.episodes_retention_days` are deleted (0 keeps them forever).
The service prunes a minute after it started and then daily; `borderwatch history prune` on demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from service.history import schema

DAY_S = 86400.0


@dataclass(frozen=True, slots=True)
class Retention:
    points_days: int
    episodes_days: int

    def prune(self, con: duckdb.DuckDBPyConnection, now: float) -> tuple[int, int]:
        """Delete what is older than kept; (points, episodes) deleted."""
        deleted = [0, 0]
        for index, (table, column, days) in enumerate(
            (
                (schema.POINTS, "time", self.points_days),
                (schema.EPISODES, "start", self.episodes_days),
            )
        ):
            if days <= 0:
                continue
            cutoff = now - days * DAY_S
            if table == schema.EPISODES:  # an open episode is never deleted
                where = f"{column} < ? AND end_time IS NOT NULL AND end_time < ?"
                params = [cutoff, cutoff]
            else:
                where, params = f"{column} < ?", [cutoff]
            found = con.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()
            deleted[index] = int(found[0]) if found else 0
            if deleted[index]:
                con.execute(f"DELETE FROM {table} WHERE {where}", params)
        return deleted[0], deleted[1]
