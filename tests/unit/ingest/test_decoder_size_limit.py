"""The decoder's size rule: a valid message up to the contract limit is a command, past it not."""

from __future__ import annotations

import pytest

from infra.contract.inbound.decoder import TOO_LARGE, Command, Rejection, decode
from infra.limits import MAX_MESSAGE_BYTES
from tests.unit.ingest.conftest import NOW, msg, padded

MARK = msg("attendance.marked", {"session": "s1", "member": "ada", "status": "present"})


@pytest.mark.parametrize("size", [MAX_MESSAGE_BYTES - 1, MAX_MESSAGE_BYTES])
def test_a_valid_message_up_to_the_limit_is_a_command(size):
    result = decode(padded(MARK, size), None, NOW)
    assert isinstance(result, Command), result
    assert result.data.member == "ada"


@pytest.mark.parametrize("size", [MAX_MESSAGE_BYTES + 1, 10 * 1000 * 1000])
def test_a_valid_message_past_the_limit_is_rejected_as_too_large_naming_both_sizes(size):
    result = decode(padded(MARK, size), None, NOW)
    assert isinstance(result, Rejection)
    assert result.code == TOO_LARGE
    assert result.reason == f"the message is {size} bytes; the limit is {MAX_MESSAGE_BYTES}"
