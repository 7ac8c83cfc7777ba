"""Message sizes through ingest on the real broker: what is applied, what the DLQ holds.

Senders may configure their producers for records far larger than peerpulse's own
requests; ingest must dead-letter those (cut to fit) and carry on with the partition.
"""

from __future__ import annotations

from hashlib import sha256
from typing import Any

import pytest

from consumers.ingest import dlq
from domain.ids import derive_id
from infra.kafka import read_all
from infra.limits import MAX_MESSAGE_BYTES, MAX_REQUEST_BYTES, record_size
from tests.integration.ingest_kit import (
    container,
    message,
    positions,
    publish,
    running,
    topics,
    wait_for,
)
from tests.unit.ingest.conftest import padded

pytestmark = [pytest.mark.kafka]
SRC = "lms.test"
GROUP = derive_id("group", SRC, "g1")
LARGE_SENDER = {"max_request_size": 32 * 1024 * 1024}
SIZES = {  # member id: message size
    "limit-minus-1": MAX_MESSAGE_BYTES - 1,
    "limit": MAX_MESSAGE_BYTES,
    "limit-plus-1": MAX_MESSAGE_BYTES + 1,
    "ten-mb": 10 * 1000 * 1000,
}
ROSTER = [
    message("program.launched", {"name": "P", "organisation": "O", "cadence": "weekly"}),
    message("group.formed", {"name": "Circle", "cadence": "weekly"}),
    message("member.joined", {"member": "ada"}),
]


def joined(member: str, size: int) -> bytes:
    """A valid member.joined message of exactly ``size`` bytes."""
    return padded(message("member.joined", {"member": member}), size)


def members(c: Any) -> set[str]:
    """External ids of the group's members."""
    group = c.app.get_group(GROUP)
    by_id = {str(derive_id("member", SRC, m)): m for m in ("ada", "cy", *SIZES)}
    return {by_id[member_id] for member_id in group.members}


def ingest(settings, bootstrap: str, stream: list[bytes]) -> tuple[Any, list]:
    """Run ingest over ``stream`` on a one-partition topic until all of it is consumed."""
    topic, dead = topics(bootstrap, partitions=1)
    publish(bootstrap, topic, stream, **LARGE_SENDER)
    c = container(settings, bootstrap)
    with running(c, topic, dead):
        wait_for(lambda: positions(c.app, topic, 1) == len(stream), what="the stream consumed")
    return c, read_all(bootstrap, dead)


def assert_cut_copy(letter, original: bytes) -> None:
    """The letter is a prefix of ``original`` that fits one request, with its hash and size."""
    headers = dict(letter.headers)
    assert len(letter.value) < len(original) and original.startswith(letter.value)
    assert headers[dlq.HEADER_ORIGINAL_SHA256] == sha256(original).hexdigest().encode()
    assert headers[dlq.HEADER_ORIGINAL_SIZE] == str(len(original)).encode()
    assert "too large" in headers[dlq.HEADER_REASON].decode()
    assert record_size(letter.key, letter.value, letter.headers) <= MAX_REQUEST_BYTES


def test_a_record_over_a_mebibyte_is_dead_lettered_cut_and_the_next_message_is_ingested(
    sqlite_settings, kafka_bootstrap
):
    big = padded(message("attendance.marked", {"session": "s1", "member": "ada",
                                               "status": "present"}), 1_048_917)  # fmt: skip
    c, letters = ingest(sqlite_settings, kafka_bootstrap,
                        [*ROSTER, big, message("member.joined", {"member": "cy"})])  # fmt: skip
    assert members(c) == {"ada", "cy"}
    [letter] = letters
    assert dict(letter.headers)[dlq.HEADER_CODE] == b"too_large"
    assert_cut_copy(letter, big)
    c.close()


def test_messages_up_to_the_limit_are_applied_and_larger_ones_dead_lettered_as_too_large(
    sqlite_settings, kafka_bootstrap
):
    sized = {member: joined(member, size) for member, size in SIZES.items()}
    stream = [*ROSTER, *sized.values(), message("member.joined", {"member": "cy"})]
    c, letters = ingest(sqlite_settings, kafka_bootstrap, stream)
    assert members(c) == {"ada", "limit-minus-1", "limit", "cy"}
    over, ten_mb = letters
    assert [dict(r.headers)[dlq.HEADER_CODE] for r in letters] == [b"too_large", b"too_large"]
    assert over.value == sized["limit-plus-1"]
    assert dlq.HEADER_ORIGINAL_SHA256 not in dict(over.headers)
    assert_cut_copy(ten_mb, sized["ten-mb"])
    c.close()
