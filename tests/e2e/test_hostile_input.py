"""Hostile text through the whole pipeline: every message is applied or dead-lettered, and
nothing a sender writes can stop a service or break the API's JSON.

Hypothesis fills every free-text field of program.launched, group.formed, member.joined
and session.cancelled with NUL, CR/LF, C1 controls, bidi overrides, lone surrogates
(escaped in JSON or as raw bytes), 10k emoji and values at and past the contract's
lengths, with times from year 1 to a day ahead. Each example is published onto the
attendance topic of one running system per store and followed until every stage has
caught up; the oracle for each message is the contract's own decoder.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta, timezone
from itertools import count
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st

from consumers.ingest import dlq
from domain.ids import derive_id
from infra.contract.inbound.decoder import DOMAIN_ERROR, Command, decode
from infra.contract.text import FORBIDDEN_CLASS, normalise_text
from tests.e2e.system import STORES, System, envelope, headers_of, running_system

pytestmark = [pytest.mark.slow, pytest.mark.kafka]
SOURCE = "e2e.example.org"
FORBIDDEN = re.compile(rf"[{FORBIDDEN_CLASS}]")
MESSAGE_ID = re.compile(rb'"id"\s*:\s*"(hx[0-9]+-[a-z]+)"')
PIECES = [
    "\x00", "\r\n", "\n", "\r", "\t", "\x0b", "\x1b[31m", "\x7f", "\x85", "\x9b", "\u202a",
    "\u202e", "\u2066", "\u2069", "\u2028", "\u2029", "\u200b", "\ufeff", "\u00a0", "\u3000",
    "\U0001f600", "\U0001f469\u200d\U0001f469\u200d\U0001f467", "\U0001f1fa\U0001f1e6", "Zoë",
    "名前", '"', "\\", "<b>", "' OR 1=1 --", " ", "a", "\U0010ffff", "\ufffd",
]  # fmt: skip
LONE_SURROGATES = ["\ud800", "\udfff", "a\udc00b", "\U0001f600\ud83d"]
OFFSETS = [timezone(timedelta(hours=h)) for h in (-12, -1, 0, 5.75, 14)]
EDGE_TIMES = [
    "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00-12:00",
    "1900-01-01T00:00:00Z", "1970-01-01T00:00:00+00:00", "2000-02-29T23:59:59.999999-00:30",
]  # fmt: skip
NOW = datetime.now(UTC).replace(microsecond=0)
SOON = (NOW + timedelta(hours=23, minutes=50)).isoformat()
"""Near the future the contract allows (one day ahead), with margin for the test's run."""


def hostile(limit: int) -> st.SearchStrategy[str]:
    """Text for a field of at most ``limit`` characters: nasty pieces, the limit, past it."""
    return st.one_of(
        st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
        st.text(max_size=40),
        st.sampled_from(PIECES).map(lambda p: (p * limit)[:limit]),
        st.sampled_from(PIECES).map(lambda p: "x" + (p * limit)[: limit - 1]),
        st.sampled_from(PIECES).map(lambda p: (p * (limit + 1))[: limit + 1]),
        st.just("\U0001f600" * 10_000),
        st.sampled_from(LONE_SURROGATES).map(lambda s: f"x{s}y"),
    )


def moments() -> st.SearchStrategy[str]:
    """Times from year 1 to a day ahead, in several offsets."""
    latest = (NOW + timedelta(hours=23)).replace(tzinfo=None)
    any_time = st.datetimes(datetime(1, 1, 2), latest, timezones=st.sampled_from(OFFSETS))
    return st.one_of(st.sampled_from([*EDGE_TIMES, SOON]), any_time.map(datetime.isoformat))


FIELDS = {
    "program_name": hostile(200), "organisation": hostile(200), "group_name": hostile(200),
    "goal": hostile(500), "display_name": hostile(500), "contact": hostile(500),
    "reason": hostile(500), "times": st.lists(moments(), min_size=4, max_size=4),
    "raw_surrogates": st.booleans(),
}  # fmt: skip
NASTY = {
    "program_name": "P\x00r\r\no\u202eg", "organisation": "\u2066Org\u2069\x85",
    "group_name": "\x00\r\n" + "g" * 197, "goal": "\U0001f600" * 10_000,
    "display_name": "a\udc00b", "contact": "m@x.org\r\nBcc: e@vil", "reason": "\u202e" * 500,
    "times": ["0001-01-01T00:00:00+14:00", SOON, "0001-01-01T00:00:00Z", EDGE_TIMES[5]],
    "raw_surrogates": False,
}  # fmt: skip
_examples = count(1)


@pytest.fixture(scope="module", params=STORES)
def system(request, tmp_path_factory) -> System:
    with running_system(tmp_path_factory.mktemp(request.param), request.param) as running:
        yield running


def messages(n: int, v: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The example's four messages (message id, CloudEvent) for its own program and group."""
    ids = {"program": f"hp{n}", "group": f"hg{n}"}
    t = v["times"]
    return [
        (f"hx{n}-launch", envelope("program.launched", f"hx{n}-launch", t[0],
            {"program": ids["program"], "name": v["program_name"],
             "organisation": v["organisation"], "cadence": "weekly"})),
        (f"hx{n}-formed", envelope("group.formed", f"hx{n}-formed", t[1],
            {**ids, "name": v["group_name"], "cadence": "weekly", "goal": v["goal"]})),
        (f"hx{n}-joined", envelope("member.joined", f"hx{n}-joined", t[2],
            {**ids, "member": f"hm{n}", "display_name": v["display_name"],
             "contact": v["contact"]})),
        (f"hx{n}-cancelled", envelope("session.cancelled", f"hx{n}-cancelled", t[3],
            {**ids, "session": f"hs{n}", "reason": v["reason"]})),
    ]  # fmt: skip


def encoded(message: dict[str, Any], raw_surrogates: bool) -> bytes:
    """JSON with non-ASCII escaped, or as UTF-8 with any lone surrogate as its raw bytes."""
    if raw_surrogates:
        return json.dumps(message, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return json.dumps(message).encode()


def strict_json(response: Any) -> Any:
    """The response body, which must be valid UTF-8 JSON with no control or bidi character."""
    assert response.status_code == 200, response.text
    body = json.loads(response.content.decode("utf-8"))
    assert not FORBIDDEN.search(json.dumps(body, ensure_ascii=False)), body
    return body


def applied(api: Any, message: dict[str, Any], n: int) -> bool:
    """Whether the message's effect is visible in the API, checked to be normalised."""
    kind = message["type"].removeprefix("peerpulse.ingest.").removesuffix(".v1")
    if kind == "program.launched":
        return _program_shown(api, message["data"], n)
    group = str(derive_id("group", SOURCE, f"hg{n}"))
    response = api.get(f"/v1/groups/{group}")
    if response.status_code == 404:
        return False
    detail = strict_json(response)
    if kind == "group.formed":
        return detail["group"]["name"] == normalise_text(message["data"]["name"])
    if kind == "member.joined":
        return _member_shown(strict_json(api.get(f"/v1/groups/{group}/members")), message, n)
    return _cancellation_shown(detail, message["data"], n)


def _program_shown(api: Any, d: dict[str, Any], n: int) -> bool:
    program = str(derive_id("program", SOURCE, f"hp{n}"))
    mine = [p for p in strict_json(api.get("/v1/programs"))["items"] if p["program_id"] == program]
    return bool(mine) and (mine[0]["name"], mine[0]["organisation"]) == (
        normalise_text(d["name"]), normalise_text(d["organisation"]))  # fmt: skip


def _member_shown(members: dict[str, Any], message: dict[str, Any], n: int) -> bool:
    d = message["data"]
    member = str(derive_id("member", SOURCE, d["member"]))
    mine = [m for m in members["items"] if m["member_id"] == member]
    return bool(mine) and mine[0]["display_name"] in (None, normalise_text(d["display_name"]))


def _cancellation_shown(detail: dict[str, Any], d: dict[str, Any], n: int) -> bool:
    session = str(derive_id("session", SOURCE, f"hg{n}/{d['session']}"))
    mine = [s for s in detail["sessions"] if s["session_id"] == session]
    return bool(mine) and mine[0]["status"] == "cancelled" and (
        mine[0]["reason"] in (None, normalise_text(d["reason"])))  # fmt: skip


def dead_letters_of(system: System, message_ids: list[str]) -> dict[str, list[dict[str, str]]]:
    """Headers of the dead letters carrying each message id (read until all ``wanted`` show).

    Dead letters are acknowledged before ingest commits past them, so they should all be
    readable once the pipeline has caught up; a short re-read tolerates a slow fetch.
    """
    found: dict[str, list[dict[str, str]]] = {}
    for _ in range(10):
        records = system.dead_letters()
        found = {mid: [headers_of(r) for r in records if _message_id(r.value) == mid]
                 for mid in message_ids}  # fmt: skip
        if all(found[mid] for mid in message_ids):
            break
        time.sleep(1)
    return found


def _message_id(value: bytes | None) -> str | None:
    """The ``id`` of a dead-lettered message (its value may be redacted and re-serialised)."""
    found = MESSAGE_ID.search(value or b"")
    return found.group(1).decode() if found else None


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example])  # fmt: skip
@given(values=st.fixed_dictionaries(FIELDS))
@example(values=NASTY)
def test_every_hostile_message_is_applied_normalised_or_dead_lettered_with_a_reason(
    system: System, values: dict[str, Any]
):
    n = next(_examples)
    sent = [(mid, m, encoded(m, values["raw_surrogates"])) for mid, m in messages(n, values)]
    expected = {mid: decode(raw, None, datetime.now(UTC)) for mid, _, raw in sent}
    system.publish([(f"hp{n}".encode(), raw) for _, _, raw in sent])
    system.wait_until_caught_up(timeout=60)

    api = system.api()
    rejected = [mid for mid, result in expected.items() if not isinstance(result, Command)]
    letters_of = dead_letters_of(system, rejected)
    for mid, message, _raw in sent:
        letters = letters_of.get(mid, [])
        assert all(h.get(dlq.HEADER_CODE) and h.get(dlq.HEADER_REASON) for h in letters), letters
        codes = {h[dlq.HEADER_CODE] for h in letters}
        if isinstance(expected[mid], Command):
            if not applied(api, message, n):
                codes = {h[dlq.HEADER_CODE] for h in dead_letters_of(system, [mid])[mid]}
                assert codes == {DOMAIN_ERROR}, (mid, codes)
        else:
            assert expected[mid].code in codes, (mid, expected[mid], letters)
        event(f"{message['type'].split('.')[2]}: {','.join(sorted(codes)) or 'applied'}")
    groups, offset = [], 0
    while True:  # every page: the list is paged, 200 at most per request
        page = strict_json(api.get("/v1/groups", params={"limit": 200, "offset": offset}))
        groups += page["items"]
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            break
    assert all(g["name"] is None or g["name"].strip() == g["name"] for g in groups)
    system.assert_nothing_restarted()
