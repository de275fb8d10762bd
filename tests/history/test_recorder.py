"""Which points the history keeps, the writer's merge of an episode written twice,
retention and the Parquet export, on real DuckDB files."""

from __future__ import annotations

from pathlib import Path

import duckdb

from service.history.export import export_parquet
from service.history.recorder import PointRow, Recorder
from service.history.reports import hours_abroad
from service.history.retention import DAY_S, Retention
from service.history.writer import HistoryWriter, connect, write_batch
from service.models import Identity
from service.track import TrackPoint

US = Identity(hex="ae2fd0", category="government", state="US", reasons=[], callsign="TROY701")
DAY = 1_755_043_200.0  # 2025-08-13 00:00 UTC


def point(t: float, country: str | None = "US", alt: int = 10_000) -> TrackPoint:
    return TrackPoint(time=t, lat=29.0, lon=-101.0, alt_ft=alt, gs_kt=80.0, track_deg=180.0,
                      on_ground=False, country=country, depth_km=None)  # fmt: skip


def kept(recorder: Recorder, points: list[TrackPoint]) -> list[float]:
    return [row.time for p in points for row in recorder.observe(US, p)[0]] + [
        row.time for row in recorder.held()
    ]


def test_one_point_per_interval_and_every_change() -> None:
    recorder = Recorder(sample_s=30, gap_s=600)
    points = [point(DAY + t) for t in range(0, 100, 5)]  # every 5 s, at home
    points += [point(DAY + 100, "MX"), point(DAY + 105, "MX")]  # a crossing
    points += [point(DAY + 110, "MX", alt=16_000)]  # a new altitude band
    points += [point(DAY + 115, "MX", alt=16_000), point(DAY + 2000, "MX", alt=16_000)]
    assert kept(recorder, points) == [DAY, DAY + 30, DAY + 60, DAY + 90, DAY + 100, DAY + 110,
                                      DAY + 115, DAY + 2000]  # fmt: skip


def test_abroad_seconds_are_those_after_a_foreign_point_within_the_gap() -> None:
    recorder = Recorder(sample_s=30, gap_s=600)
    steps = [recorder.observe(US, p)[1] for p in
             [point(DAY, "US"), point(DAY + 10, "MX"), point(DAY + 25, "MX"),
              point(DAY + 40, None), point(DAY + 1000, "MX"), point(DAY + 1010, "MX")]]  # fmt: skip
    assert steps == [None, None, ("MX", 15.0), ("MX", 15.0), None, ("MX", 10.0)]
    civil = Identity(hex="a00001", category="civil", state="US", reasons=[])
    assert recorder.observe(civil, point(DAY + 5, "MX")) == ([], None)


def rows(*times_countries: tuple[float, str | None]) -> list[PointRow]:
    return [
        PointRow(
            "ae2fd0",
            t,
            29.0,
            -101.0,
            10_000,
            80.0,
            False,
            c,
            None,
            "US",
            "government",
            "TROY701",
            None,
            None,
        )
        for t, c in times_countries
    ]


def test_the_writer_thread_batches_and_an_export_is_day_partitioned(tmp_path: Path) -> None:
    path = tmp_path / "history.duckdb"
    writer = HistoryWriter(path, batch_rows=3, flush_interval_s=60, queue_max=1000)
    writer.put(rows((DAY, "US"), (DAY + 60, "MX")), [])
    writer.put(rows((DAY + 120, "MX"), (DAY + 60, "MX")), [])  # one again: written once
    writer.put(rows((DAY + 86400, "MX"), (DAY + 86460, "MX")), [])
    assert not writer.put(rows(*[(DAY + 200_000 + i, "MX") for i in range(1001)]), [])
    assert writer.dropped == {"queue_full": 1001}
    writer.close()
    assert writer.written == 6
    with connect(path) as con:
        (row,) = hours_abroad(con, "aircraft")
        assert (row.flight_s, row.abroad_s, row.by_country_s) == (180.0, 120.0, {"MX": 120.0})
        exported = export_parquet(con, tmp_path / "parquet")
    assert [(e.table, e.rows, e.days) for e in exported] == [("track_points", 5, 2),
                                                             ("episodes", 0, 0)]  # fmt: skip
    days = sorted(p.name for p in (tmp_path / "parquet" / "track_points").iterdir())
    assert days == ["day=2025-08-13", "day=2025-08-14"]
    back = duckdb.execute(
        f"SELECT count(*), min(day)::VARCHAR FROM read_parquet("
        f"'{tmp_path}/parquet/track_points/*/*.parquet', hive_partitioning = true)"
    ).fetchone()
    assert back == (5, "2025-08-13")


def test_retention_deletes_old_points_and_keeps_episodes_by_default(tmp_path: Path) -> None:
    with connect(tmp_path / "history.duckdb") as con:
        write_batch(con, rows((DAY, "US"), (DAY + 400 * DAY_S, "US")), [])
        assert Retention(points_days=365, episodes_days=0).prune(con, DAY + 500 * DAY_S) == (1, 0)
        assert con.execute("SELECT time FROM track_points").fetchall() == [(DAY + 400 * DAY_S,)]
