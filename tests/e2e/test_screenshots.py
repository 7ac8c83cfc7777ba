"""``make screenshots`` (tools/screenshots.py) against a live dashboard over a seeded read
model: three PNGs of the right pages, and one-line errors for a bad login URL.

Launches ``/usr/bin/chromium`` (never a downloaded browser); without it the test skips
locally and fails under CI=true.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from infra.broker import free_port
from peerpulse.build import build
from tests.conftest import server_missing
from tests.e2e.browser_kit import serving
from tests.unit.api import seed
from tests.unit.api.conftest import FakePublisher
from tools import screenshots


@pytest.fixture
def dashboard(sqlite_settings):
    """A live API server over seeded data; yields its login URL for an admin token."""
    seed.seed_readmodel(sqlite_settings)
    seed.seed_alerts(sqlite_settings)
    container = build(sqlite_settings, attendance_publisher=FakePublisher(), app=seed.FakeApp())
    _, secret = container.token_store.create("shots", ["admin"])
    with serving(container) as base:
        yield f"{base}/login?token={secret}"


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_the_three_pages_are_saved_as_pngs(dashboard, tmp_path: Path) -> None:
    if not Path(screenshots.CHROMIUM).exists() and not shutil.which("chromium"):
        server_missing("chromium (apt-get install chromium)")
    base, token = screenshots._token(dashboard)
    targets = screenshots.pages(base, token)
    assert targets["program.png"] in {f"/programs/{p}" for p in (seed.PROGRAM_A, seed.PROGRAM_B)}
    assert targets["group.png"].startswith("/groups/") and targets["alerts.png"] == "/alerts"

    assert screenshots.main(["--login", dashboard, "--out", str(tmp_path / "shots")]) == 0
    for name in screenshots.SHOTS:
        width, height = _png_size(tmp_path / "shots" / name)
        assert width == screenshots.WIDTH and 200 < height <= screenshots.MAX_HEIGHT


def test_the_group_shown_is_the_first_at_risk_one_in_triage_order(dashboard) -> None:
    import httpx

    base, token = screenshots._token(dashboard)
    targets = screenshots.pages(base, token)
    program = targets["program.png"].rsplit("/", 1)[1]
    params = {"program": program, "level": "at_risk", "limit": 1}
    first = httpx.get(f"{base}/v1/groups", params=params,
                      headers={"Authorization": f"Bearer {token}"}).json()  # fmt: skip
    assert first["items"], "the seeded program should hold an at-risk group"
    assert targets["group.png"] == f"/groups/{first['items'][0]['group_id']}"


@pytest.mark.parametrize("login", ["nonsense", "http://127.0.0.1:1/login", "/login?token=x"])
def test_a_bad_login_url_is_one_line_on_stderr(login: str, capsys) -> None:
    assert screenshots.main(["--login", login]) == 1
    err = capsys.readouterr().err
    assert err.startswith("screenshots: --login must look like") and err.count("\n") == 1


def test_an_unreachable_dashboard_is_one_line_on_stderr(capsys, tmp_path: Path) -> None:
    login = f"http://127.0.0.1:{free_port()}/login?token=ppt_x"
    assert screenshots.main(["--login", login, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("screenshots: cannot reach http://127.0.0.1:") and err.count("\n") == 1
    assert not list(tmp_path.iterdir())
