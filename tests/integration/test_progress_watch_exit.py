"""The stall watch's real exit path: a wedged process ends with the stalled status."""

from __future__ import annotations

import subprocess
import sys
import time

from infra.progress import STALLED_EXIT


def test_a_wedged_process_ends_with_the_stalled_status() -> None:
    """The real exit path: a process whose only thread is stuck ends within seconds."""
    code = (
        "import time\n"
        "from infra.progress import ProgressWatch\n"
        "ProgressWatch('wedged', lambda: 7, lambda: 0, 1.0).start(every=0.2)\n"
        "time.sleep(60)\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30)  # fmt: skip
    assert done.returncode == STALLED_EXIT, done.stderr
    assert time.monotonic() - started < 10
    assert "wedged made no progress" in done.stderr
