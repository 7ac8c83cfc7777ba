"""The DLQ copy: the rejected record whole when it fits one producer request, else cut to fit."""

from __future__ import annotations

from hashlib import sha256
from types import SimpleNamespace

import pytest

from consumers.ingest import dlq
from infra.contract.inbound.decoder import INVALID_JSON, TOO_LARGE, Rejection
from infra.limits import MAX_MESSAGE_BYTES, MAX_REQUEST_BYTES, record_size

KEY = b"prog"
TOO_BIG = Rejection(TOO_LARGE, "the message is too big")


def record(value: bytes | None, headers=(), key: bytes | None = KEY) -> SimpleNamespace:
    """A rejected ConsumerRecord as kafka-python hands it over."""
    return SimpleNamespace(topic="t-attendance", partition=2, offset=41, key=key, value=value,
                           headers=list(headers))  # fmt: skip


def whole_copy_size(value: bytes, rejection: Rejection = TOO_BIG) -> int:
    r = record(value)
    headers = dlq.dead_letter_headers(rejection, r.topic, r.partition, r.offset, r.headers)
    return record_size(KEY, value, headers)


def filling(limit: int) -> bytes:
    """A value whose whole DLQ copy is exactly ``limit`` bytes."""
    n = limit - whole_copy_size(b"")
    while whole_copy_size(b"x" * n) > limit:
        n -= 1
    assert whole_copy_size(b"x" * n) == limit
    return b"x" * n


def test_a_copy_that_fits_is_the_record_byte_for_byte_with_why_and_where():
    letter = dlq.dead_letter(record(b"{nope", [("trace", b"1")]), Rejection(INVALID_JSON, "bad"))
    headers = dict(letter.headers)
    assert (letter.key, letter.value) == (KEY, b"{nope")
    assert headers["trace"] == b"1" and headers[dlq.HEADER_CODE] == b"invalid_json"
    assert (headers[dlq.HEADER_PARTITION], headers[dlq.HEADER_OFFSET]) == (b"2", b"41")
    assert dlq.HEADER_ORIGINAL_SHA256 not in headers


def test_a_message_at_the_contract_limit_is_dead_lettered_whole_even_with_a_long_reason():
    value = b"x" * MAX_MESSAGE_BYTES
    letter = dlq.dead_letter(record(value), Rejection(INVALID_JSON, "r" * 1000))
    assert letter.value == value


def test_a_copy_of_exactly_one_request_is_whole_and_one_byte_more_is_cut():
    exact = filling(MAX_REQUEST_BYTES)
    assert dlq.dead_letter(record(exact), TOO_BIG).value == exact
    over = dlq.dead_letter(record(exact + b"y"), TOO_BIG)
    assert over.value != exact + b"y" and (exact + b"y").startswith(over.value)


@pytest.mark.parametrize("size", [MAX_REQUEST_BYTES, 1_048_917, 10 * 1000 * 1000])
def test_a_copy_too_large_for_one_request_is_a_prefix_with_the_originals_hash_and_size(size):
    value = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    letter = dlq.dead_letter(record(value, [("trace", b"1")]), TOO_BIG)
    headers = dict(letter.headers)
    assert len(letter.value) < size and value.startswith(letter.value)
    assert record_size(letter.key, letter.value, letter.headers) <= MAX_REQUEST_BYTES
    assert len(letter.value) > MAX_REQUEST_BYTES - 1024  # as much as fits, not a token prefix
    assert headers[dlq.HEADER_ORIGINAL_SIZE] == str(size).encode()
    assert headers[dlq.HEADER_ORIGINAL_SHA256] == sha256(value).hexdigest().encode()
    assert (letter.key, headers["trace"], headers[dlq.HEADER_CODE]) == (KEY, b"1", b"too_large")
    reason = headers[dlq.HEADER_REASON].decode()
    assert reason.startswith("the message is too big;") and "too large" in reason


def test_original_headers_that_would_not_fit_are_dropped_and_ours_kept():
    letter = dlq.dead_letter(record(b"{}", [("blob", b"h" * MAX_REQUEST_BYTES)]), TOO_BIG)
    names = [name for name, _ in letter.headers]
    assert "blob" not in names and dlq.HEADER_ORIGINAL_SHA256 in names
    assert letter.value == b"{}"
    assert record_size(letter.key, letter.value, letter.headers) <= MAX_REQUEST_BYTES


def test_a_key_that_would_not_fit_is_dropped():
    letter = dlq.dead_letter(record(b"{}", key=b"k" * MAX_REQUEST_BYTES), TOO_BIG)
    assert letter.key is None and letter.value == b"{}"


def test_stale_size_and_hash_headers_of_a_resent_letter_are_replaced():
    stale = [(dlq.HEADER_ORIGINAL_SIZE, b"1"), (dlq.HEADER_ORIGINAL_SHA256, b"old")]
    letter = dlq.dead_letter(record(b"x" * (2 * MAX_REQUEST_BYTES), stale), TOO_BIG)
    sizes = [v for k, v in letter.headers if k == dlq.HEADER_ORIGINAL_SIZE]
    assert sizes == [str(2 * MAX_REQUEST_BYTES).encode()]
