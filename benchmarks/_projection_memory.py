"""Memory of the worker holding 100,000 groups' projector state (issue 5: < 1 GiB RSS).

Measured on the path a restarted worker takes (decision 0006): realistic group states
are built by the real projector from :mod:`benchmarks._projection_events` histories
(16 weeks: full session and commitment windows), stored as the read model's pickled
``projector_state`` rows under ``groups`` distinct group ids, then a fresh process that
has imported the faust worker loads them through ``ProjectionRunner`` and reports RSS.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from benchmarks._projection_events import history

TEMPLATES = 500
ROOT = Path(__file__).resolve().parents[1]
_LOAD = """
import gc, sys
from pathlib import Path
import projections.worker.app  # the worker's imports (faust, aiokafka) count too
from infra.settings import Settings
from projections.readmodel.store import ReadModel
from projections.worker.runner import ProjectionRunner
rm = ReadModel(Settings(_env_file=None, data_dir=Path(sys.argv[1]))).open()
runner = ProjectionRunner(rm, "events")
gc.collect()
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS"))
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(len(runner.projector.groups), rss, hwm)  # VmHWM: ru_maxrss would carry the parent's
"""


def _template_states(weeks: int = 16) -> list[tuple[int, str, bytes]]:
    from projections.engine import Outputs, Projector
    from projections.fold.envelope import decode

    p = Projector()
    for i, (_, value, headers, part) in enumerate(history(TEMPLATES, weeks)):
        p.process(decode(value, headers, part or 0, i), Outputs())
    return [(s.partition, gid, pickle.dumps(s, protocol=5)) for gid, s in p.groups.items()]


def store_states(data_dir: Path, groups: int) -> None:
    """Write ``groups`` realistic group states (templates under fresh ids) to a read model."""
    from infra.settings import Settings
    from projections.readmodel.batch import Batch
    from projections.readmodel.store import ReadModel

    templates = _template_states()
    rm = ReadModel(Settings(_env_file=None, data_dir=data_dir)).open()
    try:
        for start in range(0, groups, 20_000):
            batch = Batch()
            for i in range(start, min(groups, start + 20_000)):
                _, gid, body = templates[i % len(templates)]
                new = str(uuid.UUID(int=(0xE << 120) | i))
                batch.states[("group", new)] = body.replace(gid.encode(), new.encode())
            rm.write(batch)
    finally:
        rm.close()


def bench_memory(groups: int = 100_000) -> dict:
    """RSS of a fresh worker-like process after loading ``groups`` groups' state."""
    data_dir = Path(tempfile.mkdtemp(prefix="pp-mem-"))
    store_states(data_dir, groups)
    out = subprocess.run(
        [sys.executable, "-c", _LOAD, str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    n, rss_kib, peak_kib = (int(x) for x in out.stdout.split())
    mib = rss_kib / 1024
    return {
        "figure": "worker RSS holding the groups' state",
        "groups": n,
        "value": round(mib),
        "unit": "MiB",
        "peak_mib": round(peak_kib / 1024),
        "target": "< 1024",
        "ok": mib < 1024 and peak_kib / 1024 < 1024,
    }
