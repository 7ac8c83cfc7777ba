"""``peerpulse status``: the table, the JSON shape, exit codes and the demo's view of it,
from a status made by hand (the integration tests read a real one)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from api.status import PartitionLag, RelayPosition, RoleStatus, Status
from infra.lock_holder import Holder
from peerpulse.commands.status import _show, age, table
from peerpulse.pipeline import PipelineStatus

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _status(worker_error: str | None = None, ingest_lag: int = 2) -> Status:
    ingest = RoleStatus(
        "ingest", "ingest", "ingest", "att", Holder(4242), 2,
        (PartitionLag(0, 10, 10 - ingest_lag, 75.5 if ingest_lag else 0.0),
         PartitionLag(1, 4, 4, 0.0)),
    )  # fmt: skip
    relay = RoleStatus("relay", "relay", "relay:ev", "ev", Holder(77, "10.0.0.5"), 2,
                       relay=RelayPosition(30, 27, {0: 27, 1: 25}, 12.0))  # fmt: skip
    worker = RoleStatus("worker", "projection worker", "worker", "ev", None, 2,
                        (PartitionLag(0, 20, 20, 0.0), PartitionLag(1, 7, 7, 0.0)))  # fmt: skip
    if worker_error:
        worker = RoleStatus("worker", "projection worker", "worker", "ev", error=worker_error)
    return Status(AT, (ingest, relay, worker))


def test_the_json_names_holders_partitions_and_lag_per_partition():
    body = json.loads(json.dumps(_status().to_dict()))
    assert body["measured_at"] == "2026-03-02T09:30:00+00:00"
    assert (body["complete"], body["caught_up"]) == (True, False)
    ingest, relay, worker = body["roles"]
    assert ingest["holder"] == {"pid": 4242, "host": None}
    assert ingest["owns"] == "all 2" and ingest["running"] is True
    assert (ingest["lag_events"], ingest["lag_seconds"]) == (2, 75.5)
    assert ingest["partitions"][0] == {"partition": 0, "end": 10, "position": 8,
                                       "lag_events": 2, "lag_seconds": 75.5,
                                       "owner": None}  # fmt: skip
    assert relay["holder"] == {"pid": 77, "host": "10.0.0.5"}
    assert relay["relay"] == {"stored": 30, "relayed": 27, "per_partition": {"0": 27, "1": 25}}
    assert (relay["lag_events"], relay["lag_seconds"]) == (3, 12.0)
    assert worker["running"] is False and worker["owns"] == "none" and worker["holder"] is None
    assert worker["lag_events"] == 0 and worker["error"] is None


def test_the_table_shows_one_row_per_role_and_one_per_partition():
    text = table(_status())
    lines = text.splitlines()
    assert lines[0].split() == ["ROLE", "PROCESS", "PARTITIONS", "LAG", "OLDEST", "WAITING"]
    ingest = next(line for line in lines if line.startswith("ingest"))
    assert ingest.split() == ["ingest", "pid", "4242", "all", "2", "2", "75.5", "s"]
    assert any(
        line.split() == ["att[0]", "at", "8", "of", "10", "2", "75.5", "s"] for line in lines
    )
    relay = next(line for line in lines if line.startswith("relay"))
    assert "pid 77 @ 10.0.0.5" in relay and relay.split()[-3:] == ["3", "12.0", "s"]
    assert any("relayed 27 of 30" in line for line in lines)
    assert any(line.split() == ["ev[1]", "newest", "relayed", "25"] for line in lines)
    worker = next(line for line in lines if line.startswith("projection worker"))
    assert "not running" in worker
    assert lines[-1] == "measured 2026-03-02 09:30:00 UTC: records waiting"


def test_an_unreadable_role_says_why_and_exits_1(capsys):
    status = _status(worker_error="OperationalError: database is locked")
    assert _show(status, as_json=False) == 1
    out = capsys.readouterr().out
    assert "projection worker  unreadable: OperationalError: database is locked" in out
    assert out.rstrip().endswith("some role could not be read")
    assert _show(_status(ingest_lag=0), as_json=True) == 0
    assert json.loads(capsys.readouterr().out)["caught_up"] is False  # the relay is behind


def test_ages_read_in_the_unit_that_fits():
    assert [age(s) for s in (None, 0, 0.25, 90, 600, 10_800)] == [
        "-", "0 s", "0.2 s", "90.0 s", "10.0 min", "3.0 h"]  # fmt: skip


def test_the_demos_progress_line_is_a_view_of_the_status():
    progress = PipelineStatus.of(_status())
    assert progress.line() == "ingested 12/14 messages · relayed 27/30 events · projected 27/27"
    assert not progress.caught_up
    assert not PipelineStatus.of(_status(worker_error="gone")).caught_up


class _Reads:
    """A status source for the command: answers, fails once, answers, then Ctrl-C."""

    def __init__(self) -> None:
        from infra.broker_probe import BrokerError

        self.script = [_status(), BrokerError("no Kafka broker answers at here"), _status()]
        self.closed = False

    @property
    def status_reader(self):
        return self

    def read(self):
        if not self.script:
            raise KeyboardInterrupt
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def close(self):
        self.closed = True


def test_watch_reads_again_says_when_the_broker_is_gone_and_closes_on_ctrl_c(
    monkeypatch, capsys, sqlite_settings
):
    import argparse

    import pytest

    import peerpulse.build
    from peerpulse.commands.status import _status as handler

    parts = _Reads()
    monkeypatch.setattr(peerpulse.build, "build", lambda settings: parts)
    with pytest.raises(KeyboardInterrupt):
        handler(argparse.Namespace(json=True, watch=0.01), sqlite_settings)
    out, err = capsys.readouterr()
    assert out.count('"measured_at"') == 2
    assert err.splitlines() == ["peerpulse status: no Kafka broker answers at here"]
    assert parts.closed


def test_the_relayed_head_skips_internal_events_that_go_to_no_topic():
    """Internal bookkeeping events (the clock's start, the unmatched list) leave no record on
    any topic: the head the relay is measured against is the newest published event."""
    from types import SimpleNamespace

    from eventsourcing.utils import get_topic

    from domain.clock import Clock
    from domain.unmatched import UnmatchedAttendance
    from peerpulse.pipeline import EventStoreLog

    published = "domain.group:Group.SessionHeld"
    internal = [get_topic(UnmatchedAttendance.AttendanceHeld), get_topic(Clock.Started)]
    topics = [published, published, *internal * 3]  # ids 1..8: only 1 and 2 are published

    class Recorder:
        def max_notification_id(self):
            return len(topics)

        def select_notifications(self, start, limit, stop=None):
            last = min(stop or len(topics), start + limit - 1)
            return [SimpleNamespace(id=i, topic=topics[i - 1]) for i in range(start, last + 1)]

    log = EventStoreLog(lambda: SimpleNamespace(recorder=Recorder()))
    log.LOOK_BACK = 3  # look back in several steps
    assert log.head() == 2
    topics[:] = internal  # nothing published at all
    assert log.head() == 0
    topics[:] = []
    assert log.head() == 0


def test_a_partition_with_a_known_owner_names_it_in_the_table():
    shared = RoleStatus(
        "ingest", "ingest", "ingest", "att", Holder(4242), 2,
        (PartitionLag(0, 10, 10, 0.0, owner=Holder(4242, "a")),
         PartitionLag(1, 4, 4, 0.0, owner=Holder(4343, "b"))),
        processes=(Holder(4242, "a"), Holder(4343, "b")),
    )  # fmt: skip
    text = table(Status(AT, (shared,)))
    assert "owned by pid 4242" in text and "owned by pid 4343" in text
    assert "2 shared by 2" in text
