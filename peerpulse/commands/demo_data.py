"""Where ``peerpulse demo`` keeps its data: the ordinary data dir, never wiped unasked.

The demo runs in ``PEERPULSE_DATA_DIR`` itself (``.peerpulse/`` by default), so every
other command (``alerts list``, ``tokens``, ``backtest``, the dashboard under ``up``) sees
the demo's program without a flag. A data dir that already holds data — an earlier demo,
or imports, acknowledgements and tokens of real use — is moved aside to
``<data_dir>/previous-<UTC timestamp>/`` before the demo starts; ``--fresh`` deletes it
instead. Earlier ``previous-*`` folders and the lock files stay where they are.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from infra.errors import UserFacingError

KEPT = ("locks", "up")
"""Never moved: lock files must stay where running processes look for them; ``up`` holds
a running supervisor's pid."""
ARCHIVE_PREFIX = "previous-"


def previous_run(data_dir: Path) -> list[Path]:
    """What an earlier run left in ``data_dir`` (empty: nothing to set aside)."""
    if not data_dir.is_dir():
        return []
    return sorted(
        p
        for p in data_dir.iterdir()
        if p.name not in KEPT and not p.name.startswith(ARCHIVE_PREFIX)
    )


def _archive(data_dir: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%d-%H%M%S")
    target, n = data_dir / f"{ARCHIVE_PREFIX}{stamp}", 1
    while target.exists():
        n += 1
        target = data_dir / f"{ARCHIVE_PREFIX}{stamp}-{n}"
    return target


def prepare(data_dir: Path, fresh: bool, now: datetime) -> str:
    """Make ``data_dir`` ready for a new demo; return the one line that says what happened."""
    from peerpulse.pause import running_supervisor

    pid = running_supervisor(data_dir)
    if pid is not None:
        raise UserFacingError(
            f"peerpulse up (pid {pid}) is running on {data_dir}/: stop it first, "
            "or set PEERPULSE_DATA_DIR to another folder for the demo"
        )
    leftovers = previous_run(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    if not leftovers:
        return f"demo data in {data_dir}/"
    if fresh:
        for path in leftovers:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        return f"demo data in {data_dir}/ (--fresh: the previous data there was deleted)"
    archive = _archive(data_dir, now)
    archive.mkdir()
    for path in leftovers:
        path.rename(archive / path.name)
    return (
        f"demo data in {data_dir}/; the previous data there was moved to {archive}/ "
        "(--fresh deletes it instead)"
    )
