"""Read recorded snapshots back: JSONL, optionally gzip-compressed, one snapshot a line.

Each line is a readsb-style snapshot with `now` in seconds. Recordings are long and are
often copied while still being written, so a bad line is reported and skipped, and a
truncated or corrupt compressed tail ends the replay with an error item instead of an
exception.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from service.feeds.readsb import (
    FEED_ERROR_REASONS,
    MAX_AIRCRAFT,
    MAX_RESPONSE_BYTES,
    FeedDecodeError,
    decode_snapshot,
)
from service.models import Snapshot

__all__ = ["MAX_LINE_BYTES", "REPLAY_ERRORS", "ReplayItem", "iter_snapshots"]

# A line is one recorded response: the same bound as a live one.
MAX_LINE_BYTES: Final = MAX_RESPONSE_BYTES
_GZIP_MAGIC: Final = b"\x1f\x8b"
_SKIP_CHUNK: Final = 1024 * 1024

# Every `ReplayItem.error`: the snapshot-level decode reasons plus the ones below.
REPLAY_ERRORS: Final[tuple[str, ...]] = (
    *FEED_ERROR_REASONS,
    "line_too_long",  # longer than max_line_bytes; skipped without being held in memory
    "truncated_input",  # the input ends inside a gzip stream or inside a final line
    "corrupt_input",  # gzip data that does not decompress (bad CRC, garbage member)
)


@dataclass(slots=True, frozen=True)
class ReplayItem:
    """One line of a recording: a snapshot, or the reason it could not be read."""

    line_no: int  # 1-based physical line number, blank lines included
    snapshot: Snapshot | None
    error: str | None  # one of REPLAY_ERRORS when snapshot is None


def iter_snapshots(
    path: str | Path,
    *,
    source: str = "replay",
    max_line_bytes: int = MAX_LINE_BYTES,
    max_aircraft: int = MAX_AIRCRAFT,
) -> Iterator[ReplayItem]:
    """Yield one ReplayItem per non-blank line of a (gzip) JSONL recording.

    `path` "-" reads standard input. Compression is detected from the gzip magic bytes,
    not from the file name. Blank lines are skipped silently; every other line yields
    exactly one item, except that reading stops after a "truncated_input" or
    "corrupt_input" item. A missing or unreadable file still raises OSError.
    """
    with _open_binary(path) as raw:
        stream = _maybe_gunzip(raw)
        yield from _iter_lines(stream, source, max_line_bytes, max_aircraft)


@contextlib.contextmanager
def _open_binary(path: str | Path) -> Iterator[IO[bytes]]:
    if isinstance(path, str) and path == "-":
        # Not closed here: stdin belongs to the process.
        yield sys.stdin.buffer
        return
    with open(path, "rb") as handle:
        yield handle


def _maybe_gunzip(raw: IO[bytes]) -> io.BufferedIOBase:
    # Read the magic rather than peek(): stdin may be a pipe or a stand-in without peek.
    head = raw.read(2)
    stream = io.BufferedReader(_Prefixed(head, raw))
    if head == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=stream, mode="rb")
    return stream


class _Prefixed(io.RawIOBase):
    """A raw stream that serves bytes already consumed from `rest`, then `rest` itself."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _iter_lines(
    stream: io.BufferedIOBase, source: str, max_line_bytes: int, max_aircraft: int
) -> Iterator[ReplayItem]:
    line_no = 0
    while True:
        line_no += 1
        try:
            line = stream.readline(max_line_bytes + 1)
            too_long = len(line) > max_line_bytes and not line.endswith(b"\n")
            if too_long:
                _skip_rest_of_line(stream)
        except EOFError:  # gzip stream cut short
            yield ReplayItem(line_no, None, "truncated_input")
            return
        except (gzip.BadGzipFile, zlib.error):
            yield ReplayItem(line_no, None, "corrupt_input")
            return
        if not line:
            return
        if too_long:
            yield ReplayItem(line_no, None, "line_too_long")
            continue
        if not line.strip():
            continue
        try:
            snapshot = decode_snapshot(line, source=source, max_aircraft=max_aircraft, now_unit="s")
        except FeedDecodeError as exc:
            error = exc.reason
            if error == "invalid_json" and not line.endswith(b"\n"):
                # An unparseable last line without its newline is a cut-off write.
                error = "truncated_input"
            yield ReplayItem(line_no, None, error)
            continue
        yield ReplayItem(line_no, snapshot, None)


def _skip_rest_of_line(stream: io.BufferedIOBase) -> None:
    while True:
        chunk = stream.readline(_SKIP_CHUNK)
        if not chunk or chunk.endswith(b"\n"):
            return
