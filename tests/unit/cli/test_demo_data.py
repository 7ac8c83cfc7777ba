"""A second ``peerpulse demo`` never wipes the first one's data without being asked."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from infra.errors import UserFacingError
from peerpulse import pause
from peerpulse.commands.demo_data import prepare, previous_run

NOW = datetime(2026, 3, 1, 9, 30, 5, tzinfo=UTC)


def _previous_run(data_dir: Path) -> None:
    """What a demo (or real use) leaves: stores, mail, the lock files of its services."""
    (data_dir / "mail").mkdir(parents=True)
    (data_dir / "mail" / "1.eml").write_text("Subject: lapse")
    (data_dir / "api.sqlite").write_text("tokens")
    (data_dir / "eventstore.sqlite").write_text("events")
    (data_dir / "locks").mkdir()
    (data_dir / "locks" / "worker.lock").write_text("")


def test_a_fresh_machine_starts_in_the_data_dir_itself(tmp_path):
    data = tmp_path / "pp"
    assert prepare(data, fresh=False, now=NOW) == f"demo data in {data}/"
    assert data.is_dir() and previous_run(data) == []


def test_a_second_run_moves_the_first_aside_and_says_where(tmp_path):
    data = tmp_path / "pp"
    _previous_run(data)
    said = prepare(data, fresh=False, now=NOW)
    archive = data / "previous-20260301-093005"
    assert f"moved to {archive}/" in said and "--fresh" in said
    assert (archive / "api.sqlite").read_text() == "tokens"  # imports, acks, tokens kept
    assert (archive / "mail" / "1.eml").exists()
    assert previous_run(data) == []  # the new demo starts empty
    assert (data / "locks" / "worker.lock").exists(), "lock files stay where processes look"


def test_archives_pile_up_instead_of_overwriting_each_other(tmp_path):
    data = tmp_path / "pp"
    _previous_run(data)
    prepare(data, fresh=False, now=NOW)
    (data / "eventstore.sqlite").write_text("second run")
    prepare(data, fresh=False, now=NOW)  # same second
    second = data / "previous-20260301-093005-2"
    assert (second / "eventstore.sqlite").read_text() == "second run"
    assert (data / "previous-20260301-093005" / "eventstore.sqlite").read_text() == "events"


def test_fresh_deletes_the_previous_data_but_not_the_archives(tmp_path):
    data = tmp_path / "pp"
    _previous_run(data)
    prepare(data, fresh=False, now=NOW)
    (data / "eventstore.sqlite").write_text("again")
    said = prepare(data, fresh=True, now=NOW)
    assert "--fresh" in said and "deleted" in said
    assert not (data / "eventstore.sqlite").exists()
    assert (data / "previous-20260301-093005" / "eventstore.sqlite").exists()


def test_a_running_up_on_the_data_dir_is_never_moved_from_under_it(tmp_path):
    data = tmp_path / "pp"
    _previous_run(data)
    pause.record_supervisor(data)  # this test process plays a live `peerpulse up`
    try:
        with pytest.raises(UserFacingError, match=rf"peerpulse up \(pid {os.getpid()}\)"):
            prepare(data, fresh=True, now=NOW)
    finally:
        pause.forget_supervisor(data)
    assert (data / "eventstore.sqlite").read_text() == "events"
