"""``peerpulse members forget``: by UUID or source:external_id, with clean errors."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from domain.ids import derive_id
from infra.errors import UserFacingError
from infra.settings import Settings
from peerpulse.build import build
from peerpulse.commands import members

T0 = datetime(2025, 3, 3, tzinfo=UTC)


def registered(settings: Settings, member_id) -> None:
    container = build(settings)
    try:
        container.app.register_member(member_id, "peer-9", "Yusuf Ortega", "y@example.org", T0)
    finally:
        container.close()


def profile(settings: Settings, member_id):
    container = build(settings)
    try:
        return container.app.member_profile(member_id)
    finally:
        container.close()


def test_forget_by_source_and_external_id(sqlite_settings: Settings) -> None:
    member_id = derive_id("member", "lms", "u-42")
    registered(sqlite_settings, member_id)
    assert members.forget(sqlite_settings, "lms:u-42") == member_id
    assert profile(sqlite_settings, member_id).display_name is None


def test_forget_by_uuid_through_the_command_line(
    sqlite_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    member_id = uuid4()
    registered(sqlite_settings, member_id)
    parser = __import__("argparse").ArgumentParser()
    members.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["members", "forget", str(member_id)])
    assert args.handler(args, sqlite_settings) == 0
    assert str(member_id) in capsys.readouterr().out
    assert profile(sqlite_settings, member_id).forgotten is True


def test_unknown_member_is_a_one_line_user_error(sqlite_settings: Settings) -> None:
    with pytest.raises(UserFacingError, match="member .* is unknown") as err:
        members.forget(sqlite_settings, "lms:nobody")
    assert "\n" not in str(err.value) and err.value.exit_code != 0


def test_malformed_id_is_a_user_error(sqlite_settings: Settings) -> None:
    with pytest.raises(UserFacingError, match="neither a UUID nor source:external_id"):
        members.forget(sqlite_settings, "nonsense")


def test_the_cli_exits_non_zero_with_one_line_for_an_unknown_member(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from peerpulse import cli

    monkeypatch.setenv("PEERPULSE_DATA_DIR", str(sqlite_settings.data_dir))
    monkeypatch.setenv("PEERPULSE_STORE", "sqlite")
    assert cli.main(["members", "forget", "lms:ghost"]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("peerpulse members: cannot forget lms:ghost") and "\n" not in err


def test_a_forgotten_member_is_never_given_a_new_key(store_settings: Settings) -> None:
    from domain.errors import MemberForgotten

    member_id = derive_id("member", "lms", "u-43")
    registered(store_settings, member_id)
    members.forget(store_settings, "lms:u-43")
    container = build(store_settings)
    try:
        with pytest.raises(MemberForgotten):
            container.vault.seal(member_id, "Yusuf Ortega")
        assert profile(store_settings, member_id).display_name is None
    finally:
        container.close()
