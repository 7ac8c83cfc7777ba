"""``peerpulse up``: the whole system on the embedded default, as supervised processes.

Broker, mail sink, relay, ingest, projection worker(s), alert router, API and clock — each
one the same ``peerpulse <command>`` production runs separately — with one log view,
readiness checks, a clear error if a port is taken, and clean shutdown on Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
import urllib.request

from infra.errors import UserFacingError
from infra.settings import Settings
from peerpulse.supervisor import Service, Supervisor
from peerpulse.where import API, EMBEDDED, MAIL, STORE


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("up", help="run the whole system locally (embedded broker, SQLite)")
    p.add_argument("--no-clock", action="store_true", help="do not record wall-clock ticks")
    p.add_argument(
        "--workers",
        type=_worker_count,
        default=1,
        metavar="N",
        help="projection workers sharing the events topic by partition (default 1)",
    )
    p.set_defaults(handler=_up, uses=(EMBEDDED, STORE, API, MAIL))


def _worker_count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {MAX_WORKERS}")
    return n


MAX_WORKERS = 12
"""More workers than the events topic's partitions would sit idle (12 is the most the
README's sizing table asks for)."""


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a child process build the same Settings."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if not isinstance(value, dict):  # sections (alerts) reach children by inheritance
            env[f"PEERPULSE_{name.upper()}"] = str(value)
    return env


def embedded(settings: Settings) -> Settings:
    """Settings whose bootstrap points at the embedded broker."""
    bootstrap = f"{settings.broker_host}:{settings.broker_port}"
    return settings.model_copy(update={"kafka_bootstrap": bootstrap})


def check_ports(settings: Settings) -> None:
    """One clear error before anything starts if a port we need is taken."""
    from infra.broker import port_in_use

    for what, host, port in (
        ("broker", settings.broker_host, settings.broker_port),
        ("API", settings.api_host, settings.api_port),
        ("mail sink", settings.smtp_host, settings.smtp_port),
    ):
        if port_in_use(host, port):
            raise UserFacingError(
                f"port {host}:{port} for the {what} is already in use "
                f"(set PEERPULSE_{_port_var(what)} to another port)"
            )


def _port_var(what: str) -> str:
    return {"broker": "BROKER_PORT", "API": "API_PORT", "mail sink": "SMTP_PORT"}[what]


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "peerpulse", *args]


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=1) as resp:  # noqa: S310 (loopback only)
        return resp.status == 200


QUIET_HOURS_OFF = {"PEERPULSE_ALERTS_QUIET_START": "0", "PEERPULSE_ALERTS_QUIET_END": "0"}
"""Alert-router environment with no quiet hours (equal start and end: no window)."""


def services(
    settings: Settings,
    *,
    clock: bool = True,
    ingest: bool = True,
    quiet_hours: bool = True,
    workers: int = 1,
) -> list[Service]:
    """Every service of the embedded profile, in start order.

    ``workers``: projection workers sharing the events topic (decision 0025), named
    ``worker``, ``worker-2``, …; a rebuild pauses them all.

    ``quiet_hours=False`` lets the alert router deliver at any hour of the wall clock
    (the demo replays months in a minute; holding its warnings until morning would hide
    them).
    """
    from infra.broker import probe

    env = settings_env(settings)
    alerts_env = env if quiet_hours else {**env, **QUIET_HOURS_OFF}
    host, port = settings.broker_host, settings.broker_port
    health = f"http://{settings.api_host}:{settings.api_port}/healthz"
    listed = [
        Service("broker", _cmd("broker"), ready=lambda: bool(probe(host, port)), env=env),
        Service("topics", _cmd("topics", "create"), env=env, oneshot=True),
        Service("mailsink", _cmd("mailsink"), env=env),
        Service("relay", _cmd("relay"), env=env),
        *worker_services(env, workers),
        Service("alerts", _cmd("alerts", "run"), env=alerts_env),
        Service("api", _cmd("api"), ready=lambda: _http_ok(health), env=env),
    ]
    if ingest:
        listed.insert(4, ingest_service(settings))
    if clock:
        listed.append(clock_service(settings))
    return listed


def worker_services(env: dict[str, str], workers: int) -> list[Service]:
    """``workers`` projection workers, paused together by ``peerpulse rebuild``."""
    return [
        Service(
            "worker" if i == 1 else f"worker-{i}",
            _cmd("worker"),
            env=env,
            ready_timeout=90,
            pauses_as="worker",
        )
        for i in range(1, workers + 1)
    ]


def ingest_service(settings: Settings) -> Service:
    """The attendance consumer (the demo starts it once a replayed history is on the topic)."""
    return Service("ingest", _cmd("ingest"), env=settings_env(settings))


def clock_service(settings: Settings) -> Service:
    """The wall-clock ticker, so silence is noticed when no attendance arrives."""
    return Service("clock", _cmd("clock"), env=settings_env(settings))


def start(
    settings: Settings,
    *,
    clock: bool = True,
    ingest: bool = True,
    quiet_hours: bool = True,
    workers: int = 1,
    out=None,
) -> Supervisor:
    """Check ports, then start everything; returns the running supervisor."""
    settings = embedded(settings)
    check_ports(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    listed = services(
        settings, clock=clock, ingest=ingest, quiet_hours=quiet_hours, workers=workers
    )
    supervisor = Supervisor(listed, out=out, data_dir=settings.data_dir)  # rebuild pauses it
    supervisor.start()
    return supervisor


def _up(args: argparse.Namespace, settings: Settings) -> int:
    supervisor = start(settings, clock=not args.no_clock, workers=args.workers)
    try:
        print(
            f"\npeerpulse is up: dashboard {settings.public_url}/  "
            f"(Kafka {settings.broker_host}:{settings.broker_port}, data in {settings.data_dir}/)\n"
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        supervisor.wait()
    finally:
        supervisor.stop()  # on every way out: a banner nobody reads must not orphan services
    return 0
