"""After ``members forget``, a name and contact are in no byte peerpulse controls.

One running system per store (every service as ``make demo`` runs it, plus ingest). Member
``zeb`` joins through the Kafka door and member ``yso`` through the HTTP door, each with a
unique name and contact; ``zeb`` misses three sessions and lapses (its coordinator gets a
mail: mail already delivered is allowed, and the mail sink's files are not swept). A
member.joined breaking a domain rule is dead-lettered with the name. Both are forgotten,
their member.joined is re-sent through both doors, and then every file under the data dir
(SQLite files with WAL/SHM, logs), the services' log, every table of the PostgreSQL schema
and every Kafka topic is swept for the name and contact, in UTF-8 and JSON-escaped. The
one exception: records the Kafka-door sender produced itself on ``peerpulse.attendance.v1``
(a producer's own records, kept 7 days, README "Personal data").
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from consumers.ingest import dlq
from domain.ids import derive_id
from infra.kafka import admin, read_all
from infra.settings import Settings
from infra.topics import ATTENDANCE, ATTENDANCE_DLQ
from peerpulse.commands import members
from tests.e2e.system import (
    STORES,
    System,
    encode,
    envelope,
    headers_of,
    running_system,
    wait_for_mail,
)

pytestmark = [pytest.mark.slow, pytest.mark.kafka]
SOURCE = "e2e.example.org"
NOW = datetime.now(UTC).replace(microsecond=0)
PROGRAM, GROUP = "p-forget", "g-forget"
KAFKA_DOOR = {"member": "zeb", "display_name": "Zebulon Quixotič-7f3a",
              "contact": "zq7f3a@example.org"}  # fmt: skip
HTTP_DOOR = {"member": "yso", "display_name": "Ysolde Vantablack-9c2e",
             "contact": "yv9c2e@example.org"}  # fmt: skip
SECRETS = [KAFKA_DOOR[k] for k in ("display_name", "contact")] + [
    HTTP_DOOR[k] for k in ("display_name", "contact")
]
COORDINATOR_MAIL = "forget-coordinator@example.org"


def needles(text: str) -> set[bytes]:
    """The forms a text takes in stored bytes: UTF-8, JSON-escaped (ASCII) and hex."""
    raw = text.encode()
    return {raw, json.dumps(text)[1:-1].encode(), raw.hex().encode()}


NEEDLES = {n: secret for secret in SECRETS for n in needles(secret)}


def found_in(blob: bytes) -> set[str]:
    """The secrets ``blob`` holds in any of their forms."""
    return {secret for n, secret in NEEDLES.items() if n in blob}


def _at(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).isoformat()


def joined(person: dict[str, str], message_id: str) -> dict[str, Any]:
    return envelope("member.joined", message_id, _at(38),
                    {"program": PROGRAM, "group": GROUP, **person})  # fmt: skip


def roster() -> list[dict[str, Any]]:
    """Program, coordinator, group; ``zeb`` joins with its name (the Kafka door)."""
    return [
        envelope("program.launched", "f-launch", _at(40),
                 {"program": PROGRAM, "name": "Forget Program", "organisation": "E2E Org",
                  "cadence": "weekly"}),
        envelope("coordinator.assigned", "f-coord", _at(40),
                 {"program": PROGRAM, "coordinator": "f-c", "name": "Dana",
                  "contact": COORDINATOR_MAIL, "digest": "immediate"}),
        envelope("group.formed", "f-formed", _at(39),
                 {"program": PROGRAM, "group": GROUP, "name": "Forget Circle",
                  "cadence": "weekly", "coordinator": "f-c"}),
        joined(KAFKA_DOOR, "zeb-joined"),
        *[joined({"member": m}, f"{m}-joined") for m in ("m3", "m4")],
    ]  # fmt: skip


def sessions() -> list[dict[str, Any]]:
    """Four weekly sessions; ``zeb`` misses the last three and lapses."""
    everyone = ["zeb", "yso", "m3", "m4"]
    return [
        envelope("session.held", f"f-s{week}", _at(days_ago),
                 {"program": PROGRAM, "group": GROUP, "session": f"f-s{week}",
                  "present": [m for m in everyone if not (week and m == "zeb")],
                  "absent": ["zeb"] if week else []})
        for week, days_ago in enumerate((28, 21, 14, 7))
    ]  # fmt: skip


def via_kafka(system: System, messages: list[dict[str, Any]]) -> None:
    system.publish([(PROGRAM.encode(), encode(m)) for m in messages])


def via_http(system: System, token: str, message: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{system.settings.public_url}/v1/attendance", content=encode(message),
                      headers={"Authorization": f"Bearer {token}",
                               "content-type": "application/json"}, timeout=30)  # fmt: skip


def member_id(person: dict[str, str]):
    return derive_id("member", SOURCE, person["member"])


def display_name(settings: Settings, person: dict[str, str]) -> str | None:
    from peerpulse.build import build

    container = build(settings)
    try:
        return container.app.member_profile(member_id(person)).display_name
    finally:
        container.close()


@pytest.fixture(scope="module", params=STORES)
def system(request, tmp_path_factory) -> System:
    with running_system(tmp_path_factory.mktemp(request.param), request.param) as running:
        yield running


@pytest.fixture(scope="module")
def forgotten(system: System) -> dict[str, Any]:
    """Both members known, one lapsed and mailed about, one dead letter; then forgotten."""
    from api.auth.store import TokenStore

    ingest_token = TokenStore(system.settings).create("e2e-sender", ["ingest"])[1]
    via_kafka(system, roster())
    posted = via_http(system, ingest_token, joined(HTTP_DOOR, "yso-joined"))
    assert posted.status_code == 202, posted.text
    system.wait_until_caught_up(timeout=120)
    other_contact = {**KAFKA_DOOR, "contact": "zq7f3a-other@example.org"}
    via_kafka(system, [*sessions(), joined(other_contact, "zeb-joined-again")])
    system.wait_until_caught_up(timeout=120)
    seen = {p["member"]: display_name(system.settings, p) for p in (KAFKA_DOOR, HTTP_DOOR)}
    mail = wait_for_mail(system, COORDINATOR_MAIL)
    for person in (KAFKA_DOOR, HTTP_DOOR):
        members.forget(system.settings, f"{SOURCE}:{person['member']}")
    via_kafka(system, [joined(KAFKA_DOOR, "zeb-joined-after-forget")])
    resent = via_http(system, ingest_token, joined(HTTP_DOOR, "yso-joined-after-forget"))
    system.wait_until_caught_up(timeout=120)
    return {"seen": seen, "mail": mail, "resent": resent}


def test_both_members_were_known_by_name_and_one_lapsed_before_being_forgotten(forgotten):
    assert forgotten["seen"] == {"zeb": KAFKA_DOOR["display_name"],
                                 "yso": HTTP_DOOR["display_name"]}  # fmt: skip
    assert forgotten["mail"], "the lapse mail was delivered (allowed: mail already delivered)"


def test_a_forgotten_members_message_through_the_http_door_is_refused(forgotten):
    resent = forgotten["resent"]
    assert resent.status_code == 422, resent.text
    assert resent.json()["error"]["code"] == "member_forgotten"


def test_dead_letters_for_the_member_hold_a_marker_and_name_the_removed_fields(
    system: System, forgotten
):
    letters = [r for r in system.dead_letters() if b'"zeb"' in (r.value or b"")]
    assert len(letters) >= 2  # the domain-rule breaker and the re-send after forget
    for letter in letters:
        redacted = headers_of(letter)[dlq.HEADER_REDACTED]
        assert redacted == "data.display_name,data.contact"
        data = json.loads(letter.value)["data"]
        assert data["display_name"] == data["contact"] == "[personal data removed]"


def test_after_forget_no_file_table_or_topic_holds_the_name_or_contact(system: System, forgotten):
    leaks = (
        _sweep_files(system.settings.data_dir)
        + _sweep_log(system)
        + _sweep_postgres(system.settings)
        + _sweep_topics(system.settings.kafka_bootstrap)
    )
    assert leaks == [], "\n".join(leaks)


def test_only_the_kafka_door_senders_own_records_still_hold_its_name(system: System, forgotten):
    own = [r for r in read_all(system.settings.kafka_bootstrap, ATTENDANCE.name, timeout=30)
           if not _via_http(r)]  # fmt: skip
    holding = set().union(*(found_in(r.value or b"") for r in own))
    assert holding == {KAFKA_DOOR["display_name"], KAFKA_DOOR["contact"]}


def _via_http(record: Any) -> bool:
    return ("pp-received-via", b"http") in list(record.headers)


def _sweep_files(data_dir: Path) -> list[str]:
    mail_dir = data_dir / "mail"
    leaks = []
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        if mail_dir in path.parents:
            continue  # mail already delivered (the demo's local mail sink)
        hits = found_in(path.read_bytes())
        leaks += [f"file {path.relative_to(data_dir)}: {s}" for s in sorted(hits)]
    return leaks


def _sweep_log(system: System) -> list[str]:
    return [f"services' log: {s}" for s in sorted(found_in(system.log.getvalue().encode()))]


def _sweep_postgres(settings: Settings) -> list[str]:
    """Every table of the schema, every row and column (bytea as bytes, text as UTF-8)."""
    if settings.store != "postgres":
        return []
    import psycopg
    from psycopg import sql

    leaks = []
    with psycopg.connect(settings.postgres_dsn, autocommit=True) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (settings.postgres_schema,))]  # fmt: skip
        for table in tables:
            query = sql.SQL("SELECT * FROM {}.{}").format(
                sql.Identifier(settings.postgres_schema), sql.Identifier(table)
            )
            for row in conn.execute(query):
                blob = b"\0".join(_as_bytes(v) for v in row)
                leaks += [f"table {table}: {s}" for s in sorted(found_in(blob))]
    return leaks


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def _sweep_topics(bootstrap: str) -> list[str]:
    """Every topic on the broker, except the Kafka-door sender's own attendance records."""
    client = admin(bootstrap)
    try:
        topics = sorted(client.list_topics())
    finally:
        client.close()
    assert ATTENDANCE_DLQ.name in topics
    leaks = []
    for topic in topics:
        for r in read_all(bootstrap, topic, timeout=30):
            if topic == ATTENDANCE.name and not _via_http(r):
                continue  # a producer's own records: the sender put the name there
            blob = b"\0".join([r.key or b"", r.value or b"", *(v or b"" for _, v in r.headers)])
            leaks += [f"topic {topic}[{r.partition}]@{r.offset}: {s}" for s in found_in(blob)]
    return leaks
