"""The relay's reading half: notification log -> wire records, in a process of its own.

Decoding a stored event and translating it to its wire record costs about as much CPU as
kafka-python spends producing that record, and in one process both share one GIL. So
``peerpulse relay`` reads and translates in a child process that stays one batch ahead of
the producer and hands over plain tuples through a pipe (docs/decisions/0014). Order is
untouched: one reader, one pipe, batches in notification order.

The child builds its own read-only EngagementApp from the event-store ``env`` (no vault:
nothing sealed is published), says when the store is open, and waits to be told where to
start (the relay learns that from the topic). It ignores SIGINT and SIGTERM, which a terminal or the
supervisor sends to the whole process group: the relay finishes its batch, then kills the
reader. If the relay dies first, the reader's next send to the pipe fails and it exits;
it sends at least once per poll interval.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import signal
import time
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import PersistenceError

from infra.contract.translate import NOT_PUBLISHED, to_wire
from infra.errors import UserFacingError, one_line
from infra.relay_quarantine import quarantine_record

Record = tuple[int, bytes, bytes, list[tuple[str, bytes]], int | None]
"""One record: (notification id, key, value, headers, partition, EVERY_PARTITION or
QUARANTINED — the last for a stored event the reader could not translate, bound for the DLQ)."""
TRANSIENT = (PersistenceError, OSError)
"""Errors of the store, not of the event: they stop the reader (exit 5), never quarantine."""


class ReaderFailed(UserFacingError):
    """The reading process failed (event store unreachable, process killed, ...)."""

    exit_code = 5


class Batch(NamedTuple):
    """What one read of the notification log yields."""

    read: int
    """Notifications read (a short read means the reader caught up)."""
    next_position: int
    """The first notification id not read yet."""
    head: int
    """The newest notification id in the store when the batch was read (for lag)."""
    records: list[Record]
    """Records in notification order; internal events yield none, every other event one
    (a wire record, or a quarantine record when it cannot be decoded or translated)."""


class Translator:
    """Reads notifications from a position and turns them into wire records (any process)."""

    def __init__(self, app: Any) -> None:
        """``app``: an EngagementApp (its recorder, mapper and repository are used)."""
        self.app = app
        self._programs: dict[UUID, UUID] = {}

    def read(self, position: int, limit: int) -> Batch:
        """Up to ``limit`` notifications from ``position``, translated, in order.

        An event that cannot be decoded or does not fit its wire model becomes a quarantine
        record (:func:`infra.relay_quarantine.quarantine_record`) and reading goes on; an
        error of the store itself is raised.
        """
        notifications = self.app.recorder.select_notifications(position, limit)
        head = self.app.recorder.max_notification_id() or 0
        records: list[Record] = []
        for n in notifications:
            try:
                record = self._translate(n)
            except TRANSIENT:
                raise
            except Exception as exc:
                record = quarantine_record(n, exc)
            if record is not None:
                records.append(record)
        next_position = notifications[-1].id + 1 if notifications else position
        return Batch(len(notifications), next_position, head, records)

    def _translate(self, notification: Any) -> Record | None:
        event = self.app.mapper.to_domain_event(notification)
        name = type(event).__qualname__
        if name in NOT_PUBLISHED:
            return None
        if name == "Group.Formed":
            self._programs[event.originator_id] = event.program_id
        wire = to_wire(event, notification.id, program_of=self._program_of)
        return (notification.id, wire.key, wire.value, wire.headers, wire.partition)

    def _program_of(self, group_id: UUID) -> UUID:
        program = self._programs.get(group_id)
        if program is None:
            program = self.app.repository.get(group_id, version=1).program_id
            if len(self._programs) > 100_000:
                self._programs.clear()
            self._programs[group_id] = program
        return program


GROUP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _serve(env: dict[str, str], pipe: Any) -> None:
    """The child process: open the store, say so, then read where the relay says until told off."""
    # Ctrl-C and a supervisor's SIGTERM reach the whole process group: the relay finishes
    # its batch and then kills us, so the batch it is waiting for must still arrive. The
    # relay started us with both blocked (see ReaderProcess.open), so none is lost to the
    # interpreter's start-up; ignore them, then unblock.
    for signum in GROUP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, GROUP_SIGNALS)
    try:
        from domain.application import EngagementApp

        app = EngagementApp(env=env)
        translator = Translator(app)
        pipe.send(("ready", app.recorder.max_notification_id() or 0))
        _, position, limit, interval = pipe.recv()  # ("read", position, limit, interval)
        while True:
            batch = translator.read(position, limit)
            pipe.send(batch)
            position = batch.next_position
            if batch.read < limit:
                time.sleep(interval)
    except (BrokenPipeError, ConnectionResetError, EOFError):
        return  # the relay is gone; nobody is left to read for
    except Exception as exc:
        with contextlib.suppress(OSError):
            pipe.send(("failed", one_line(exc)))


class ReaderProcess:
    """Runs a :class:`Translator` in a child process, one batch ahead of the relay.

    :meth:`open` starts the process and waits until it has opened the store; :meth:`start`
    then tells it where to read from. The relay opens the reader before it connects to
    Kafka, so a store that cannot be read fails first, alone.
    """

    def __init__(self, env: dict[str, str], *, start_timeout: float = 60.0) -> None:
        """``env``: the eventsourcing environment of the store to read."""
        self.env, self.start_timeout = env, start_timeout
        self._process: Any = None
        self._pipe: Any = None

    def open(self) -> int:
        """Start the process; returns the store's newest notification id once it is open."""
        self.close()
        context = multiprocessing.get_context("spawn")  # no fork of a threaded producer
        ours, theirs = context.Pipe(duplex=True)
        self._process = context.Process(
            target=_serve, args=(self.env, theirs), name="peerpulse-relay-reader", daemon=True
        )
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, GROUP_SIGNALS)  # inherited
        try:
            self._process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        atexit.register(self.close)  # the child ignores SIGTERM: never leave it to multiprocessing
        theirs.close()  # the child holds the only other end: either death reads as EOF
        self._pipe = ours
        try:
            hello = self._receive(self.start_timeout)
        except ReaderFailed:
            self.close()
            raise
        if hello is None:
            self.close()
            raise ReaderFailed(f"relay reader did not start within {self.start_timeout:.0f} s")
        if not (isinstance(hello, tuple) and hello[0] == "ready"):
            self.close()
            raise ReaderFailed(f"relay reader could not start: {hello[1]}")
        return int(hello[1])

    def start(self, position: int, batch_size: int, poll_interval: float) -> None:
        """Tell the reader :meth:`open` started to read from ``position`` on."""
        self._pipe.send(("read", position, batch_size, poll_interval))

    def next(self, timeout: float | None = None) -> Batch | None:
        """The next batch, or None if none arrived within ``timeout`` seconds."""
        message = self._receive(timeout)
        if message is None or isinstance(message, Batch):
            return message
        raise ReaderFailed(f"relay reader failed: {message[1]}")

    def _receive(self, timeout: float | None) -> Any:
        try:
            if not self._pipe.poll(timeout):
                return None
            return self._pipe.recv()
        except (EOFError, OSError) as exc:
            code = None
            if self._process is not None:
                self._process.join(2)
                code = self._process.exitcode
            raise ReaderFailed(
                f"relay reader process exited unexpectedly (exit code {code})"
            ) from exc

    def close(self) -> None:
        """Kill the child (it keeps nothing worth saving; it ignores SIGTERM); close the pipe.

        Also runs at interpreter exit for a reader nobody closed: multiprocessing would
        otherwise wait forever for a child that ignores its SIGTERM.
        """
        atexit.unregister(self.close)
        if self._pipe is not None:
            self._pipe.close()
            self._pipe = None
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(10)
            self._process = None
