"""What delivery reads from outside, driven by generated input (Hypothesis): a stored
payload read back, a receiver's `Retry-After`, the signature headers a receiver checks."""

from __future__ import annotations

import contextlib

import msgspec
from hypothesis import example, given, settings
from hypothesis import strategies as st

from service.alerts.payload import decode
from service.deliver.channels import PayloadError, payload_of
from service.deliver.signing import verify
from service.outbound import parse_retry_after
from tests.support.outbox import item

FUZZ = settings(deadline=None, max_examples=200)


@FUZZ
@given(st.binary(max_size=512))
def test_a_stored_payload_reads_back_or_raises_only_payload_error(data: bytes) -> None:
    with contextlib.suppress(msgspec.DecodeError):
        decode(data)
    with contextlib.suppress(PayloadError):
        payload_of(msgspec.structs.replace(item("e", 0), payload=msgspec.Raw(data)))


@FUZZ
@given(st.text(max_size=100) | st.none(), st.floats(allow_nan=False, allow_infinity=False))
@example("Mon, 01 Jan 2020 00:00:00 +99999999999999", 0.0)  # a zone past any datetime
def test_retry_after_is_a_wait_or_nothing(value: str | None, now: float) -> None:
    wait = parse_retry_after(value, now=now)
    assert wait is None or wait >= 0


@FUZZ
@given(st.text(max_size=40) | st.none(), st.text(max_size=100) | st.none(), st.binary(max_size=64))
def test_verify_answers_false_never_raises(
    stamp: str | None, signature: str | None, body: bytes
) -> None:
    assert verify(b"secret", stamp, signature, body, now=1_755_081_600) in (True, False)
