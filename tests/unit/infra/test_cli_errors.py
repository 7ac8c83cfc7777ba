"""Whatever goes wrong, ``peerpulse`` ends with one line on stderr, never a traceback."""

from __future__ import annotations

import argparse

import pytest

from peerpulse import cli


def _parser_with(handler) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="peerpulse")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("boom").set_defaults(handler=handler)
    return parser


def _explode(args, settings):
    raise RuntimeError("disk on fire\nsecond line")


def test_an_unforeseen_error_is_one_line_with_a_hint(monkeypatch, capsys):
    monkeypatch.setattr(cli, "build_parser", lambda: _parser_with(_explode))
    assert cli.main(["boom"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "peerpulse boom: unexpected RuntimeError: disk on fire second line "
        "(run with --verbose for the traceback)"
    ]


def test_verbose_shows_the_traceback_in_the_log(monkeypatch, capsys, caplog):
    monkeypatch.setattr(cli, "build_parser", lambda: _parser_with(_explode))
    with caplog.at_level("DEBUG", logger="peerpulse"):
        assert cli.main(["-v", "boom"]) == 1
    assert capsys.readouterr().err.strip().endswith("RuntimeError: disk on fire second line")
    (record,) = [r for r in caplog.records if r.exc_info]
    assert record.exc_info[0] is RuntimeError


@pytest.mark.parametrize("code", [0, 3])
def test_a_handlers_own_exit_code_is_kept(monkeypatch, code):
    monkeypatch.setattr(cli, "build_parser", lambda: _parser_with(lambda a, s: code))
    assert cli.main(["boom"]) == code
