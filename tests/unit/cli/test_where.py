"""The line a command prints first names what it will use, from the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.settings import Settings
from peerpulse.where import BROKER, EMBEDDED, READMODEL, STORE, line, redact


def test_rebuild_names_its_broker_and_read_model():
    s = Settings(_env_file=None, data_dir=Path("/srv/pp"), broker_port=9192)
    text = line("rebuild", s, (BROKER, READMODEL), verbose=False)
    assert text == (
        "peerpulse rebuild: broker 127.0.0.1:9192 · read model sqlite /srv/pp/readmodel.sqlite"
    )


def test_postgres_is_named_without_its_password():
    s = Settings(
        _env_file=None, store="postgres", postgres_schema="t1",
        postgres_dsn="postgresql://pp:s3cret@db:5432/pulse",
    )  # fmt: skip
    text = line("relay", s, (STORE,), verbose=True)
    assert "store postgres postgresql://pp:***@db:5432/pulse schema t1" in text
    assert "s3cret" not in text


def test_verbose_adds_the_settings_that_were_set():
    s = Settings(_env_file=None, broker_port=9192)
    assert (
        line("up", s, (EMBEDDED,), verbose=False) == "peerpulse up: embedded broker 127.0.0.1:9192"
    )
    assert "(set: PEERPULSE_BROKER_PORT=9192; the rest default)" in line(
        "up", s, (EMBEDDED,), verbose=True
    )


def test_a_command_that_uses_nothing_prints_nothing():
    assert line("contract", Settings(_env_file=None), (), verbose=True) is None


def test_an_unknown_use_is_a_programming_error():
    with pytest.raises(ValueError, match="kafak"):
        line("x", Settings(_env_file=None), ("kafak",), verbose=False)


def test_keyword_passwords_are_redacted():
    assert redact("host=db password=hunter2 user=pp") == "host=db password=*** user=pp"
