"""kafka-python's close race is not shown to operators; real network errors are."""

from __future__ import annotations

import logging

import pytest

from infra.kafka import ClosedTransportNoise


class Transport:
    def __init__(self, closed: bool) -> None:
        self.closed = closed

    def __str__(self) -> str:  # kafka.net.transport's own format
        return f"<KafkaTCPTransport [none]{' (closed)' if self.closed else ''}>"


def record(transport: Transport, exc: BaseException) -> logging.LogRecord:
    return logging.LogRecord(
        "kafka.net.transport",
        logging.ERROR,
        __file__,
        1,
        "%s: Error receiving network data closing socket",
        (transport,),
        (type(exc), exc, None),
    )


@pytest.mark.parametrize(
    "exc", [OSError(9, "Bad file descriptor"), AttributeError("'NoneType' has no 'recv'")]
)
def test_a_read_racing_close_on_a_closed_transport_is_dropped(exc):
    assert not ClosedTransportNoise().filter(record(Transport(closed=True), exc))


def test_a_task_waiting_on_the_closed_descriptor_is_dropped():
    exc = ValueError("Invalid file descriptor: -1")
    assert not ClosedTransportNoise().filter(record(Transport(closed=False), exc))


@pytest.mark.parametrize(
    ("closed", "exc"),
    [
        (False, OSError(104, "Connection reset by peer")),  # a real error on a live socket
        (True, ValueError("corrupt frame")),  # not the race's exception
        (True, KeyError("x")),
    ],
)
def test_other_network_errors_are_kept(closed, exc):
    assert ClosedTransportNoise().filter(record(Transport(closed), exc))


def test_the_cli_installs_it(monkeypatch):
    from peerpulse.cli import configure_logging

    loggers = [logging.getLogger(name) for name in ClosedTransportNoise.LOGGERS]
    for logger in loggers:
        monkeypatch.setattr(logger, "filters", [])
    configure_logging(verbose=False)
    for logger in loggers:
        assert any(isinstance(f, ClosedTransportNoise) for f in logger.filters), logger.name
