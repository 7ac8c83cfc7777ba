"""``peerpulse worker``: the live projection worker (faust agent on the events topic).

Start-up order: wait for Kafka, make sure the topics exist, open the read model (reset it
if it cannot be resumed), then run faust until SIGTERM/SIGINT. Any number of workers share
the events topic by partition (decision 0025): at each assignment a worker claims its new
partitions, restores their states and reads them from the read model's checkpoint. A stop
always ends within :data:`STOP_DEADLINE_S`, even with the broker gone.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable

from infra.errors import UserFacingError, one_line
from infra.settings import Settings
from peerpulse.where import BROKER, READMODEL

log = logging.getLogger(__name__)
STOP_DEADLINE_S = 3.0
"""How long a signalled stop may take before the process simply exits. faust waits about
a minute for a broker that is gone; the read model commits each batch in one transaction,
so cutting that wait short loses nothing (the next start resumes from its checkpoint)."""


class ProjectionStopped(UserFacingError):
    """The worker's agent failed on a batch: the process exits for a restart."""

    exit_code = 3


def add_topic_args(p: argparse.ArgumentParser) -> None:
    """Options naming the topics (defaults: the catalogue) and the worker's group."""
    from projections.worker.group_offsets import WORKER_GROUP
    from projections.worker.wire import ProjectionTopics

    d = ProjectionTopics()
    p.add_argument("--events-topic", default=d.events)
    p.add_argument("--group-health-topic", default=d.group_health)
    p.add_argument("--alerts-topic", default=d.alerts)
    p.add_argument("--group-id", default=WORKER_GROUP, help="the worker's consumer group")


def topic_names(args: argparse.Namespace):
    """The ProjectionTopics named by the options."""
    from projections.worker.wire import ProjectionTopics

    return ProjectionTopics(args.events_topic, args.group_health_topic, args.alerts_topic)


def worker_group(base: str, readmodel) -> str:
    """The worker's consumer group: one per read-model epoch, so a reset read model never
    inherits offsets committed for an older one."""
    return f"{base}.{readmodel.epoch()}"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="run the live projection worker")
    add_topic_args(p)
    p.add_argument("--metrics-port", type=int, default=0, help="serve /metrics here (0: off)")
    p.set_defaults(handler=_run, uses=(BROKER, READMODEL))


def _run(args: argparse.Namespace, settings: Settings) -> int:
    import faust
    from prometheus_client import start_http_server

    from infra.broker_probe import wait_for_kafka
    from infra.presence import sharing
    from infra.topics import create_topics
    from peerpulse.build import build
    from projections.worker.app import build_app
    from projections.worker.observe import Observer
    from projections.worker.runner import ProjectionRunner

    # Any number of workers share the events topic by partition (decision 0025); each
    # restores and fences the partitions it is assigned. A rebuild takes the lock whole.
    with sharing(settings, "worker"):
        names = topic_names(args)
        wait_for_kafka(settings.kafka_bootstrap)
        create_topics(settings.kafka_bootstrap, settings.topic_partitions, names.catalogue())
        readmodel = build(settings).open_read_model()
        group = _start(settings, readmodel, args.group_id)
        runner = ProjectionRunner(readmodel, names.events, restore=False)
        observer = Observer()
        if args.metrics_port:
            start_http_server(args.metrics_port, addr=settings.metrics_host)
        failures: list[Exception] = []

        def stop(exc: Exception) -> None:
            failures.append(exc)
            os.kill(os.getpid(), signal.SIGTERM)  # faust's own clean shutdown

        def give_up() -> None:
            reason = f" after {one_line(failures[0])}" if failures else ""
            try:  # stderr may be a pipe whose reader is gone (a supervisor killed)
                print(f"peerpulse worker: stop did not complete within {STOP_DEADLINE_S:.0f} s"
                      f"{reason}; exiting now", file=sys.stderr, flush=True)  # fmt: skip
            finally:
                os._exit(ProjectionStopped.exit_code if failures else 0)

        (settings.data_dir / "faust").mkdir(parents=True, exist_ok=True)  # also on PostgreSQL
        watch = _watch(settings, runner, names.events)
        owner = f"{socket.gethostname()} pid={os.getpid()}"
        app = build_app(settings, runner, names, group, owner, observer, on_failure=stop)
        worker = _worker_with_deadline(faust.Worker, app, give_up)
        code = 0
        try:
            worker.execute_from_commandline()
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            readmodel.close()
        if watch is not None:
            watch.stop()
        if failures:
            raise ProjectionStopped(
                f"projection stopped: {one_line(failures[0])}; exiting for a restart from"
                " the read model's checkpoint"
            )
        return code


def _start(settings: Settings, readmodel, base: str) -> str:
    """Replay from the start a read model that cannot be resumed (an unfinished rebuild,
    states of an older format), and name the consumer group from its epoch: decided by one
    starting worker at a time, so workers starting together join one group."""
    from infra.singleton import AlreadyRunning, only_one

    deadline = time.monotonic() + START_WAIT_S
    while True:
        try:
            with only_one(settings, "worker-start"):
                if readmodel.stale():
                    log.warning(STALE)
                    readmodel.reset()
                return worker_group(base, readmodel)
        except AlreadyRunning:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


STALE = (
    "read model cannot be resumed (an unfinished rebuild, or states of an older format):"
    " replaying from the start"
)
START_WAIT_S = 60.0
"""How long a starting worker waits for another starting one to finish its check."""


def _worker_with_deadline(base: type, app, give_up: Callable[[], None]):
    """A faust worker whose stop on SIGTERM/SIGINT calls ``give_up`` after the deadline."""

    class Worker(base):
        _deadline: threading.Timer | None = None

        def _schedule_shutdown(self, sig: signal.Signals) -> None:  # mode's one signal path
            if self._deadline is None:
                self._deadline = threading.Timer(STOP_DEADLINE_S, give_up)
                self._deadline.daemon = True
                self._deadline.start()
            super()._schedule_shutdown(sig)

    return Worker(app, loglevel="INFO", quiet=True, override_logging=False)


def _watch(settings: Settings, runner, topic: str):
    """Ends the process if the worker's checkpoint stops moving while records wait (a
    wedged agent: faust would keep the process up)."""
    from kafka import TopicPartition

    from infra.kafka import end_offsets
    from infra.progress import ProgressWatch
    from projections.worker.group_offsets import partitions

    if not settings.stall_after_s:
        return None
    tps = [TopicPartition(topic, p) for p in partitions(settings.kafka_bootstrap, topic)]

    def waiting() -> int:  # its own client: safe beside faust's; only partitions it owns
        owned = runner.owned
        mine = [tp for tp in tps if owned is None or tp.partition in owned]
        if not mine:
            return 0
        ends = end_offsets(settings.kafka_bootstrap, mine)
        at = dict(runner.positions)
        return sum(max(0, end - at.get(tp.partition, 0)) for tp, end in ends.items())

    return ProgressWatch(
        "worker", waiting, lambda: sum(dict(runner.positions).values()), settings.stall_after_s
    ).start(every=15.0)
