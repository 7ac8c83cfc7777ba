"""``peerpulse broker``: run the embedded Tansu broker in the foreground until Ctrl-C/SIGTERM.

In-memory storage: a restart starts empty, so by default the catalogue topics are created
as soon as the broker answers (``--no-topics`` skips that).
"""

from __future__ import annotations

import argparse
import threading

from infra.settings import Settings
from peerpulse.where import DATA, EMBEDDED


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("broker", help="run the embedded Kafka-compatible broker (Tansu)")
    p.add_argument("--host", help="listen host (default: PEERPULSE_BROKER_HOST)")
    p.add_argument("--port", type=int, help="listen port (default: PEERPULSE_BROKER_PORT)")
    p.add_argument("--no-topics", action="store_true", help="do not create the catalogue topics")
    p.set_defaults(handler=_run, uses=(EMBEDDED, DATA))


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from infra.broker import EmbeddedBroker
    from infra.signals import on_signals
    from infra.topics import create_topics

    host = args.host or settings.broker_host
    port = args.port if args.port is not None else settings.broker_port
    stop = threading.Event()
    restore = on_signals(lambda _sig: stop.set())
    broker = EmbeddedBroker(host, port, log_dir=settings.data_dir / "logs")
    try:
        broker.start()
        if not args.no_topics:
            create_topics(broker.bootstrap, settings.topic_partitions)
        print(f"broker ready: bootstrap {broker.bootstrap} (log: {broker.log_path})", flush=True)
        while not stop.wait(0.5):
            if not broker.running:
                print(f"broker stopped unexpectedly: {broker.last_log_line()}", flush=True)
                return 1
        return 0
    finally:
        broker.stop()
        restore()
