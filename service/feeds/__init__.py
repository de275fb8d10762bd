"""Feed adapters: decode provider responses and recordings into normalised Snapshots."""

from service.feeds.normalise import REJECT_REASONS, normalise_record
from service.feeds.readsb import (
    FEED_ERROR_REASONS,
    AircraftRecord,
    FeedDecodeError,
    decode_snapshot,
)
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
