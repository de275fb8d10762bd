"""Feed adapters: decode provider responses and recordings into normalised Snapshots.

Live feeds (docs/feeds.md): `running` builds one loop per configured feed, either a
`poller.Poller` (HTTP or file: `adsbx`, `readsb`, `opensky`) guarded by `guard` (budget,
backoff, circuit breaker) and sending through `http.fetch`, or an
`sbs_client.SbsStream` (TCP). Their snapshots meet in `fuse.Fuser` before the pipeline.
Decoders: `readsb` (aircraft.json and ADSBx v2), `opensky`, `sbs`; `normalise` checks
each record, `judge` a whole snapshot column by column; `replay` reads recordings.
"""

from service.feeds.normalise import REJECT_REASONS, AircraftRecord, normalise_record
from service.feeds.readsb import FEED_ERROR_REASONS, FeedDecodeError, decode_snapshot
from service.feeds.replay import REPLAY_ERRORS, ReplayItem, iter_snapshots

__all__ = [
    "FEED_ERROR_REASONS",
    "REJECT_REASONS",
    "REPLAY_ERRORS",
    "AircraftRecord",
    "FeedDecodeError",
    "ReplayItem",
    "decode_snapshot",
    "iter_snapshots",
    "normalise_record",
]
