"""The durable history: every episode and a downsampled track of every followed state
aircraft, in one DuckDB file, and the reports read from it (docs/history.md).

`schema` names the tables; `recorder` decides which rows a point or an event
produces; `writer` writes them from a thread of its own; `tap` connects both to the
pipeline; `tracefile` reads readsb trace files and `importer` replays recordings and
trace files through the pipeline; `reports` answers hours abroad and lists episodes;
`export` writes Parquet and `retention` prunes old rows.
"""
