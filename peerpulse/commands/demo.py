"""``peerpulse demo``: the whole system, a simulated program, and what peerpulse saw.

Starts everything on the embedded default in the data dir (an earlier run's data is moved
aside first, :mod:`peerpulse.commands.demo_data`), simulates a program up to now and
publishes its history up to three weeks ago through the public ingest contract, waits
(with a progress line) until every stage has caught up, then closes the coordinator's loop
(:func:`close_the_loop`, :mod:`infra.simulator.continuation`): the coordinators read the
groups flagged ``at_risk`` through the public API, log an intervention on a seeded share
of them through the public API, and the world's last three weeks follow. Then it prints
the dashboard link, the groups at risk with their top reasons, the lapse warnings
delivered to the local mail sink, and each program's "flagged → reached out → recovered".
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from infra.errors import UserFacingError
from infra.settings import Settings
from peerpulse.where import API, EMBEDDED, MAIL, STORE

if TYPE_CHECKING:
    from infra.simulator import Simulation
    from infra.simulator.continuation import Outreach

AFTER = timedelta(weeks=3)
"""The history ends this long before now; the coordinators act at its end and the world's
continuation fills the rest (:func:`close_the_loop`)."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run everything locally and simulate a program of groups")
    p.add_argument("--groups", type=int, default=60, help="groups to simulate (default 60)")
    p.add_argument("--weeks", type=int, default=16,
                   help="weeks of history before the coordinators act (default 16); "
                   "three more weeks follow, up to now")  # fmt: skip
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
        login = login_url(settings)
        world = replay_history(settings, supervisor, args.seed, args.groups, args.weeks,
                               args.timeout)  # fmt: skip
        loop = close_the_loop(settings, supervisor, world, args.seed, args.timeout)
        _summary(settings, login, loop)
        if not args.exit:
            print("Press Ctrl-C to stop.", flush=True)
            supervisor.wait()
    finally:
        supervisor.stop()
    return 0


def login_url(settings: Settings) -> str:
    from peerpulse.build import build

    _token, secret = build(settings).token_store.create("demo", ["admin"])
    return f"{settings.public_url.rstrip('/')}/login?token={secret}"


@dataclass
class World:
    """A simulated program up to now, and the cut: what peerpulse has been shown so far."""

    sim: Simulation
    cut: datetime
    history: list[dict[str, Any]]
    """The messages with event time up to :attr:`cut` (arrival order)."""
    future: list[dict[str, Any]]
    """The rest of the simulation (arrival order): the world if nobody acted."""


@dataclass
class Loop:
    """What :func:`close_the_loop` did."""

    flagged: list[str]
    """External ids of the groups the API showed ``at_risk`` at the cut."""
    acts: list[Outreach]
    published: int
    """Messages put on the attendance topic after the history (interventions included)."""


def replay_history(settings: Settings, supervisor, seed: int, groups: int, weeks: int,
                   timeout: float) -> World:  # fmt: skip
    """Publish ``weeks`` of simulated history ending three weeks ago as a backlog, then let
    ingest catch up (the clock stays off: :func:`close_the_loop` starts it).

    A replayed history must reach ingest as a backlog: ingest's event-time watermark
    (decision 0012) can only hold ticks back for records already on the topic, so
    consuming while the simulator is still publishing would look like late data.
    """
    from peerpulse.commands import up

    world = publish(settings, seed, groups, weeks)
    supervisor.add(up.ingest_service(settings))
    wait_for_pipeline(settings, len(world.history), timeout, supervisor.log)
    return world


def publish(settings: Settings, seed: int, groups: int, weeks: int) -> World:
    """Simulate a program ending now, publish its history up to the cut to the attendance
    topic, keep the truth."""
    from infra.simulator import simulate
    from infra.simulator.continuation import split
    from infra.simulator.sinks import KafkaSink

    now = datetime.now(UTC)
    sim = simulate(seed, now, groups, weeks + AFTER.days // 7, source="demo")
    cut = now - AFTER
    history, future = split(sim, cut)
    truth = settings.data_dir / "truth.json"
    truth.write_text(json.dumps({**sim.truth_json(), "history_until": cut.isoformat()},
                                indent=2) + "\n")  # fmt: skip
    sink = KafkaSink(settings.kafka_bootstrap, "peerpulse.attendance.v1")
    try:
        sink.send(history)
    finally:
        sink.close()
    dying = sum(t.dies for t in sim.truth)
    print(f"\nsimulated {len(sim.truth)} groups over {weeks} + {AFTER.days // 7} weeks "
          f"({dying} will die): {len(history)} attendance messages of history up to "
          f"{cut:%d %b} published; ground truth in {truth}", flush=True)  # fmt: skip
    return World(sim, cut, history, future)


def close_the_loop(settings: Settings, supervisor, world: World, seed: int,
                   timeout: float) -> Loop:  # fmt: skip
    """The coordinators act on the flags, the world answers, peerpulse catches up.

    Through the public HTTP API: the groups ``at_risk`` are read with ``GET /v1/groups``,
    and a seeded share of them get an intervention by their coordinator with
    ``POST /v1/attendance``. Then the rest of the simulated world (each flagged group's
    future replaced by :func:`infra.simulator.continuation.continuation`) follows, up to
    now. Ingest is stopped meanwhile so that everything after the cut reaches it as one
    backlog, in event-time order per partition (decision 0012): its watermark cannot tick
    past a group whose weeks are still being published. The clock starts at the end.
    """
    from infra.simulator.continuation import MEETS_OTHERS, MEETS_REACHED, continuation, outreach
    from peerpulse.commands import up

    sim, cut = world.sim, world.cut
    api = _DemoApi(settings, sim.source)
    try:
        flagged = api.at_risk(sim)
        acts = outreach(sim, flagged, cut, seed)
        after = continuation(sim, flagged, acts, cut, sim.end, seed)
        replaced = set(flagged)  # their future is the continuation's
        rest = [m for m in world.future if m.get("subject") not in replaced]
        supervisor.remove("ingest")
        published = _publish_after(settings, api, sim, acts, _by_time(rest + after))
    finally:
        api.close()
    print(f"\n{len(flagged)} groups were at_risk on {cut:%d %b}; their coordinators reached "
          f"out to {len(acts)} of them through the API. Assumed (the simulation's, not a "
          f"finding): a reached group meets again with chance {MEETS_REACHED} per period, "
          f"one nobody reached {MEETS_OTHERS}. {published} messages follow, up to now.",
          flush=True)  # fmt: skip
    supervisor.add(up.ingest_service(settings))
    wait_for_pipeline(settings, len(world.history) + published, timeout, supervisor.log)
    supervisor.add(up.clock_service(settings))
    return Loop(flagged, acts, published)


def _by_time(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(messages, key=lambda m: datetime.fromisoformat(m["time"]))


class _DemoApi:
    """The coordinators' desk: the public HTTP API with a token of their own."""

    def __init__(self, settings: Settings, source: str) -> None:
        import httpx

        from peerpulse.build import build

        self.source = source
        _token, secret = build(settings).token_store.create("demo coordinators",
                                                            ["read", "ingest"])  # fmt: skip
        self.url = _api_url(settings)
        self.secret = secret
        self.client = httpx.Client(base_url=self.url, timeout=30.0,
                                   headers={"Authorization": f"Bearer {secret}"})  # fmt: skip

    def at_risk(self, sim: Simulation) -> list[str]:
        """External ids of the groups ``GET /v1/groups`` shows ``at_risk``, every page."""
        from domain.ids import derive_id

        external = {str(derive_id("group", self.source, t.group)): t.group for t in sim.truth}
        found: list[str] = []
        offset = 0
        while True:
            page = self._get("/v1/groups", {"level": "at_risk", "limit": 200, "offset": offset})
            found += [external[g["group_id"]] for g in page["items"]
                      if g["level"] == "at_risk" and g["group_id"] in external]  # fmt: skip
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return sorted(found)

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        response = self.client.get(path, params=params)
        if response.status_code != 200:
            raise UserFacingError(f"GET {path} answered {response.status_code}: "
                                  f"{response.text[:300]}")  # fmt: skip
        return response.json()

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


def _api_url(settings: Settings) -> str:
    """Where this machine reaches the demo's API (loopback when it listens everywhere)."""
    host = settings.api_host
    host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104 (a comparison)
    return f"http://{host}:{settings.api_port}"


def _publish_after(settings: Settings, api: _DemoApi, sim: Simulation, acts: list[Outreach],
                   world: list[dict[str, Any]]) -> int:  # fmt: skip
    """The world's messages (Kafka, as its systems send them) and the coordinators'
    interventions (``POST /v1/attendance``), interleaved in event-time order."""
    from infra.contract.inbound.interventions import encoded, intervention_message
    from infra.simulator.sinks import HttpSink, KafkaSink

    kafka = KafkaSink(settings.kafka_bootstrap, "peerpulse.attendance.v1")
    http = HttpSink(api.url, api.secret)

    def log(act: Outreach) -> None:
        logged = intervention_message(
            source=sim.source, program=sim.program, group=act.group,
            coordinator=act.coordinator, kind=act.kind, occurred_at=act.at, note=act.note,
            message_id=f"{sim.program}:intervention:{act.group}",
        )  # fmt: skip
        http.send([json.loads(encoded(logged))])

    pending: list[dict[str, Any]] = []
    queue = sorted(acts, key=lambda a: a.at)
    try:
        for message in world:
            while queue and queue[0].at <= datetime.fromisoformat(message["time"]):
                kafka.send(pending)  # everything older first: per-partition event-time order
                pending = []
                log(queue.pop(0))
            pending.append(message)
        kafka.send(pending)
        for act in queue:
            log(act)
    finally:
        kafka.close()
        http.close()
    return len(world) + len(acts)


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


def _summary(settings: Settings, login: str, loop: Loop | None = None) -> None:
    from infra.mailsink import read_index
    from infra.simulator.continuation import MEETS_OTHERS, MEETS_REACHED
    from peerpulse.build import build

    readmodel = build(settings).open_read_model()
    try:
        rows = readmodel.query(
            "SELECT name, level, score, reasons FROM group_health "
            "WHERE level IN ('at_risk', 'dormant') "
            "ORDER BY CASE level WHEN 'at_risk' THEN 0 ELSE 1 END, score DESC"
        )
        levels = dict(readmodel.query("SELECT level, COUNT(*) FROM group_health GROUP BY level"))
        funnels = funnel_rows(readmodel)
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
    if loop is not None:
        out.write(f"\nthe coordinator's loop (since launch; outreach on {len(loop.acts)} of the "
                  f"{len(loop.flagged)} groups at_risk three weeks ago):\n")  # fmt: skip
        for line in funnel_lines(funnels):
            out.write(f"  {line}\n")
        out.write("  (the simulation assumes outreach helps: a reached group meets again with "
                  f"chance {MEETS_REACHED} per period,\n   one nobody reached {MEETS_OTHERS}; "
                  "an assumption, not a finding)\n")  # fmt: skip
    out.write(f"\n{len(mail)} alert e-mails delivered to the local mail sink: "
              f"{settings.data_dir / 'mail'}/\n")  # fmt: skip
    out.write(f"dashboard: {login}\n" + "=" * 78 + "\n")
    out.flush()


FUNNEL = ("flagged", "reached_out", "reached_out_recovered", "recovered", "recovered_late",
          "went_dormant", "ended", "still_at_risk")  # fmt: skip


def funnel_rows(readmodel) -> list[dict[str, Any]]:
    """Each program's flag-episode counters (``program_episodes``) with its name."""
    rows = readmodel.query(
        f"SELECT COALESCE(r.name, e.program_id), {', '.join('e.' + c for c in FUNNEL)} "
        "FROM program_episodes e LEFT JOIN program_rollup r ON r.program_id = e.program_id "
        "ORDER BY 1"
    )
    return [{"program": row[0], **dict(zip(FUNNEL, row[1:], strict=True))} for row in rows]


def funnel_lines(rows: list[dict[str, Any]]) -> list[str]:
    """'flagged N → reached out M → recovered K (after outreach: …; without: …)' per
    program: the same counts as the program page's funnel."""
    lines = []
    for r in rows:
        alone = r["flagged"] - r["reached_out"]
        alone_recovered = r["recovered"] - r["reached_out_recovered"]
        lines.append(
            f"{r['program']}: flagged {r['flagged']} → reached out {r['reached_out']} → "
            f"recovered {r['recovered']} (after outreach: {r['reached_out_recovered']} of "
            f"{r['reached_out']}; without outreach: {alone_recovered} of {alone}; "
            f"{r['went_dormant']} went dormant, {r['still_at_risk']} still at risk)"
        )
    return lines or ["no flag episodes yet"]
