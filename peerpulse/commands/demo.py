"""``peerpulse demo``: the whole system, a simulated program, and what peerpulse saw.

Starts everything on the embedded default in the data dir (an earlier run's data is moved
aside first, :mod:`peerpulse.commands.demo_data`), publishes
a simulated program through the public ingest contract, waits (with a progress line) until
every stage has caught up, then prints the dashboard link, the groups at risk with their
top reasons, and the lapse warnings delivered to the local mail sink.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from typing import Any

from infra.errors import UserFacingError
from infra.settings import Settings
from peerpulse.where import API, EMBEDDED, MAIL, STORE


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run everything locally and simulate a program of groups")
    p.add_argument("--groups", type=int, default=60, help="groups to simulate (default 60)")
    p.add_argument("--weeks", type=int, default=16, help="weeks of history (default 16)")
    p.add_argument("--seed", type=int, default=7, help="simulation seed (default 7)")
    p.add_argument("--exit", action="store_true", help="stop after the summary instead of serving")
    p.add_argument("--timeout", type=float, default=240, help="seconds to wait for the pipeline")
    p.add_argument(
        "--fresh",
        action="store_true",
        help="delete the data dir's previous data instead of moving it to previous-<time>/",
    )
    p.set_defaults(handler=_demo, uses=(EMBEDDED, STORE, API, MAIL))


def demo_settings(settings: Settings) -> Settings:
    """The demo's settings: the embedded broker, in the ordinary data dir (so every other
    command finds the demo's data without a flag)."""
    from peerpulse.commands.up import embedded

    return embedded(settings)


def start(settings: Settings, out=None) -> Any:
    """The demo's services: ``peerpulse up`` without the wall clock, ingest or quiet hours.

    Ingest starts once the replayed history is on the topic (:func:`replay_history`); the
    history's own ticks stand in for the clock; and its warnings are delivered at once,
    whatever the hour here (a replay of sixteen weeks is not happening at night).
    """
    from peerpulse.commands import up

    return up.start(settings, clock=False, ingest=False, quiet_hours=False, out=out)


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from peerpulse.commands import up

    if args.groups < 1 or args.weeks < 1:
        raise UserFacingError("--groups and --weeks must be at least 1")
    from peerpulse.commands.demo_data import prepare

    settings = demo_settings(settings)
    up.check_ports(settings)
    print(f"peerpulse demo: {prepare(settings.data_dir, args.fresh, datetime.now(UTC))}",
          flush=True)  # fmt: skip
    supervisor = start(settings)
    try:
        login = _login_url(settings)
        replay_history(settings, supervisor, args.seed, args.groups, args.weeks, args.timeout)
        _summary(settings, login)
        if not args.exit:
            print("Press Ctrl-C to stop.", flush=True)
            supervisor.wait()
    finally:
        supervisor.stop()
    return 0


def _login_url(settings: Settings) -> str:
    from peerpulse.build import build

    _token, secret = build(settings).token_store.create("demo", ["admin"])
    return f"{settings.public_url.rstrip('/')}/login?token={secret}"


def replay_history(settings: Settings, supervisor, seed: int, groups: int, weeks: int,
                   timeout: float):  # fmt: skip
    """Publish a simulated history as a backlog, then let ingest catch up, then the clock.

    A replayed history must reach ingest as a backlog: ingest's event-time watermark
    (decision 0012) can only hold ticks back for records already on the topic, so
    consuming while the simulator is still publishing would look like late data.
    """
    from peerpulse.commands import up

    sim = publish(settings, seed, groups, weeks)
    supervisor.add(up.ingest_service(settings))
    wait_for_pipeline(settings, len(sim.messages), timeout, supervisor.log)
    supervisor.add(up.clock_service(settings))
    return sim


def publish(settings: Settings, seed: int, groups: int, weeks: int):
    """Simulate a program ending now, publish it to the attendance topic, keep the truth."""
    from infra.simulator import simulate
    from infra.simulator.sinks import KafkaSink

    sim = simulate(seed, datetime.now(UTC), groups, weeks, source="demo")
    truth = settings.data_dir / "truth.json"
    truth.write_text(json.dumps(sim.truth_json(), indent=2) + "\n")
    sink = KafkaSink(settings.kafka_bootstrap, "peerpulse.attendance.v1")
    try:
        sink.send(list(sim.messages))
    finally:
        sink.close()
    dying = sum(t.dies for t in sim.truth)
    print(f"\nsimulated {len(sim.truth)} groups over {weeks} weeks ({dying} will die): "
          f"{len(sim.messages)} attendance messages published; ground truth in {truth}",
          flush=True)  # fmt: skip
    return sim


def wait_for_pipeline(settings: Settings, expected: int, timeout: float, log) -> None:
    """Show progress until every stage has processed all ``expected`` messages."""
    from peerpulse.build import build
    from peerpulse.pipeline import pipeline_status

    parts = build(settings)
    deadline, steady = time.monotonic() + timeout, 0
    try:
        while time.monotonic() < deadline:
            status = pipeline_status(parts)
            log("demo", status.line())
            done = status.caught_up and status.attendance_available >= expected
            steady = steady + 1 if done else 0
            if steady >= 3:
                return
            time.sleep(1.0)
    finally:
        parts.close()
    raise UserFacingError(
        f"the pipeline did not catch up within {timeout:.0f} s; see the log above"
    )


def _summary(settings: Settings, login: str) -> None:
    from infra.mailsink import read_index
    from peerpulse.build import build

    readmodel = build(settings).open_read_model()
    try:
        rows = readmodel.query(
            "SELECT name, level, score, reasons FROM group_health "
            "WHERE level IN ('at_risk', 'dormant') "
            "ORDER BY CASE level WHEN 'at_risk' THEN 0 ELSE 1 END, score DESC"
        )
        levels = dict(readmodel.query("SELECT level, COUNT(*) FROM group_health GROUP BY level"))
    finally:
        readmodel.close()
    time.sleep(3)  # give the alert router a moment to deliver the last intents
    mail = read_index(settings.data_dir / "mail")
    out = sys.stdout
    out.write("\n" + "=" * 78 + "\n")
    order = ("healthy", "watch", "at_risk", "dormant")
    counts = ", ".join(f"{level} {levels.get(level, 0)}" for level in order)
    out.write(f"groups by level: {counts}\n")
    out.write("groups that need a person this week (at_risk first: they can still be saved):\n")
    for name, level, score, reasons in rows[:15]:
        top = json.loads(reasons)[0]["text"] if reasons and json.loads(reasons) else ""
        out.write(f"  {level:<8} {score:4.2f}  {name:<28.28} {top}\n")
    if len(rows) > 15:
        out.write(f"  … and {len(rows) - 15} more\n")
    out.write(f"\n{len(mail)} alert e-mails delivered to the local mail sink: "
              f"{settings.data_dir / 'mail'}/\n")  # fmt: skip
    out.write(f"dashboard: {login}\n" + "=" * 78 + "\n")
    out.flush()
