"""The slow path for a response the fast decoder refused as a whole: find its parts
without building them, so that one bad record costs only itself.

msgspec decodes a well-formed response in one pass. A single hostile record (nested a
thousand levels deep, or carrying a `NaN`, which is not JSON) makes that pass fail for
the whole response. Then `split_object` and `split_array` walk the bytes once more, with
a flat scanner that keeps no recursion and builds nothing but offsets, and hand back
each top-level field and each array element as raw bytes, with how deeply it nests. The
caller decodes each element on its own and counts the ones that fail.

Anything the scanner cannot follow (an unterminated string, brackets that do not pair,
a truncated document) raises `SplitError`: the response is then unusable as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import msgspec

__all__ = ["Part", "SplitError", "records", "split_array", "split_object"]

# A string (escapes included), a lone quote (an unterminated string), or a structural
# character. Everything between tokens is whitespace or a scalar (number, literal).
_TOKEN: Final = re.compile(rb'"(?:[^"\\]|\\.)*"|"|[\[\]{},:]')
_OPEN: Final = frozenset(b"[{")
_CLOSE: Final = {ord("]"): ord("["), ord("}"): ord("{")}


class SplitError(ValueError):
    """The bytes are not a JSON document of the expected shape."""


@dataclass(frozen=True, slots=True)
class Part:
    """One value inside a document: its bytes and how deeply it nests (a scalar: 0)."""

    raw: bytes
    depth: int


def split_object(data: bytes) -> dict[str, Part]:
    """The top-level fields of a JSON object (the last one wins when a key repeats)."""
    fields: dict[str, Part] = {}
    for key, part in _members(data, b"{"):
        assert key is not None
        fields[key] = part
    return fields


def split_array(data: bytes) -> list[Part]:
    """The elements of a JSON array."""
    return [part for _, part in _members(data, b"[")]


def records(part: Part, max_depth: int, rejected: dict[str, int]) -> list[msgspec.Raw] | None:
    """The records of a list field, each to be decoded on its own (`null`: None). One
    nesting deeper than `max_depth` is left out and counted in `rejected` as `too_deep`;
    a field that is no array raises `SplitError`."""
    if part.raw == b"null":
        return None
    kept: list[msgspec.Raw] = []
    for element in split_array(part.raw):
        if element.depth > max_depth:
            rejected["too_deep"] = rejected.get("too_deep", 0) + 1
        else:
            kept.append(msgspec.Raw(element.raw))
    return kept


def _members(data: bytes, opener: bytes) -> list[tuple[str | None, Part]]:
    text = data.strip()
    if not text.startswith(opener):
        raise SplitError(f"not a JSON {'object' if opener == b'{' else 'array'}")
    is_object = opener == b"{"
    members: list[tuple[str | None, Part]] = []
    stack: list[int] = []
    key: str | None = None
    # Objects go key -> colon -> value; arrays are always in a value.
    state = "key" if is_object else "value"
    value_start = 1
    deepest = 0

    def end_member(end: int, closing: bool) -> None:
        raw = text[value_start:end].strip()
        if not raw:
            if closing and not members and state == ("key" if is_object else "value"):
                return  # {} or []
            raise SplitError("empty member")
        if is_object and state != "value":
            raise SplitError("member without a value")
        members.append((key, Part(raw, deepest)))

    for match in _TOKEN.finditer(text):
        token, at = match.group(), match.start()
        first = token[0]
        depth = len(stack)
        if token == b'"':
            raise SplitError("unterminated string")
        if first == 0x22:  # a string
            if depth == 1 and is_object and state != "value":
                if state != "key":
                    raise SplitError("a key where a colon belongs")
                key, state = _key(token), "colon"
            continue
        if first in _OPEN:
            if depth == 1 and is_object and state != "value":
                raise SplitError("a value where a key belongs")
            stack.append(first)
            if depth >= 1:
                deepest = max(deepest, depth)
            continue
        if first in _CLOSE:
            if not stack or stack[-1] != _CLOSE[first]:
                raise SplitError("brackets do not pair")
            stack.pop()
            if stack:
                continue
            end_member(at, closing=True)
            if text[at + 1 :].strip():
                raise SplitError("trailing data after the document")
            return members
        if depth != 1:
            continue  # a ':' or ',' inside a member's value
        if first == 0x3A:  # ':'
            if not is_object or state != "colon":
                raise SplitError("misplaced ':'")
            state, value_start = "value", at + 1
            continue
        end_member(at, closing=False)  # a ',' ends a member
        key, deepest, value_start = None, 0, at + 1
        state = "key" if is_object else "value"
    raise SplitError("truncated document")


def _key(token: bytes) -> str:
    try:
        return token[1:-1].decode("utf-8")
    except UnicodeDecodeError:
        raise SplitError("a key is not UTF-8") from None
