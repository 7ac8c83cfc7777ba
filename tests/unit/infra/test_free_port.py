"""free_port: a port no outgoing connection can take before the caller's server binds it."""

from __future__ import annotations

import socket

import pytest

from infra.broker import _unassigned_ports, free_port


def _ephemeral() -> range:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low, high = map(int, f.read().split())
    return range(low, high + 1)


def test_ports_come_from_outside_the_kernels_ephemeral_range() -> None:
    ports = [free_port() for _ in range(50)]
    ephemeral = _ephemeral()
    assert not [p for p in ports if p in ephemeral]
    assert set(ports) <= set(_unassigned_ports())


def test_a_port_is_never_handed_out_twice_and_can_be_bound() -> None:
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    with socket.socket() as s:
        s.bind(("127.0.0.1", ports[-1]))
        s.listen()


def test_a_port_another_server_listens_on_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    first = free_port()
    held = socket.socket()
    held.bind(("127.0.0.1", first))
    held.listen()
    try:
        # only two candidates: the held port and the next one
        import infra.broker as broker

        monkeypatch.setattr(broker, "_handed_out", set())
        monkeypatch.setattr(broker, "_unassigned_ports", lambda: range(first, first + 2))
        assert {free_port() for _ in range(1)} == {first + 1}
    finally:
        held.close()
