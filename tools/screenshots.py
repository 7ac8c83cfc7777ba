"""The README's screenshots: ``make screenshots`` (``python -m tools.screenshots``).

Runs the demo in a temporary data dir on free ports — its services, a simulated program and
the coordinator's loop, exactly as ``peerpulse demo`` does — or uses a running one
(``--login`` with the login URL ``make demo`` printed), then saves PNGs of the program
page, the page of the group the triage puts first among those ``at_risk``, and the alerts
page, taken with Playwright on Debian chromium (never a downloaded browser), into
``docs/screenshots/``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from infra.errors import UserFacingError

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDTH, MAX_HEIGHT = 1280, 1800
"""Viewport width; a long page is cut at this height (the top is what the README shows)."""
SHOTS = ("program.png", "group.png", "alerts.png")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.screenshots", description=__doc__)
    p.add_argument("--login", help="a running dashboard's login URL (…/login?token=…); "
                   "default: run the demo in a temporary data dir")  # fmt: skip
    p.add_argument("--out", type=Path, default=OUT, help=f"folder for the PNGs ({OUT})")
    p.add_argument("--chromium", default=CHROMIUM, help=f"the browser ({CHROMIUM})")
    p.add_argument("--seed", type=int, default=7, help="the demo's simulation seed (7)")
    p.add_argument("--groups", type=int, default=60, help="the demo's groups (60)")
    p.add_argument("--weeks", type=int, default=16, help="the demo's weeks of history (16)")
    args = p.parse_args(argv)
    try:
        if args.login:
            saved = shoot(args.login, args.out, args.chromium)
        else:
            with running_demo(args.seed, args.groups, args.weeks) as login:
                saved = shoot(login, args.out, args.chromium)
    except UserFacingError as exc:
        print(f"screenshots: {exc}", file=sys.stderr)
        return 1
    for path in saved:
        print(f"saved {path}")
    return 0


@contextlib.contextmanager
def running_demo(seed: int, groups: int, weeks: int, timeout: float = 300) -> Iterator[str]:
    """The demo's services with its program and loop, in a temporary data dir; yields an
    admin login URL. The services' log is kept in the data dir (printed on failure)."""
    from infra.broker import free_port
    from infra.settings import Settings
    from peerpulse.commands import demo

    with tempfile.TemporaryDirectory(prefix="peerpulse-screenshots-") as tmp:
        port = free_port()
        settings = demo.demo_settings(Settings(
            _env_file=None, data_dir=Path(tmp) / "pp", broker_port=free_port(),
            api_port=port, smtp_port=free_port(), public_url=f"http://127.0.0.1:{port}",
        ))  # fmt: skip
        log = io.StringIO()
        supervisor = demo.start(settings, out=log)
        try:
            world = demo.replay_history(settings, supervisor, seed, groups, weeks, timeout)
            demo.close_the_loop(settings, supervisor, world, seed, timeout)
            yield demo.login_url(settings)
        except BaseException:
            sys.stderr.write(log.getvalue()[-5000:])
            raise
        finally:
            supervisor.stop()


def _token(login: str) -> tuple[str, str]:
    """The base URL and the token of a login URL."""
    parts = urlsplit(login)
    token = parse_qs(parts.query).get("token", [""])[0]
    if not parts.scheme or not parts.netloc or not token:
        raise UserFacingError(f"--login must look like http://host:port/login?token=…, "
                              f"not {login!r}")  # fmt: skip
    return f"{parts.scheme}://{parts.netloc}", token


def pages(base: str, token: str) -> dict[str, str]:
    """File name -> dashboard path: the first program, its first at-risk group, alerts."""
    import httpx

    with httpx.Client(base_url=base, timeout=30.0,
                      headers={"Authorization": f"Bearer {token}"}) as api:  # fmt: skip
        try:
            programs = _json(api.get("/v1/programs"))["items"]
            if not programs:
                raise UserFacingError(f"{base} shows no program yet: run the demo first")
            program = programs[0]["program_id"]
            params = {"program": program, "limit": 1}
            found = _json(api.get("/v1/groups", params={**params, "level": "at_risk"}))["items"]
            found = found or _json(api.get("/v1/groups", params=params))["items"]
        except httpx.HTTPError as exc:
            raise UserFacingError(f"cannot reach {base}: {exc}") from None
    if not found:
        raise UserFacingError(f"program {program} has no groups yet")
    return dict(zip(SHOTS, (f"/programs/{program}", f"/groups/{found[0]['group_id']}",
                            "/alerts"), strict=True))  # fmt: skip


def _json(response) -> dict:
    if response.status_code != 200:
        where = f"{response.request.method} {response.request.url.path}"
        raise UserFacingError(f"{where} answered {response.status_code}: {response.text[:200]}")
    return response.json()


def shoot(login: str, out: Path, chromium: str = CHROMIUM) -> list[Path]:
    """Log in with ``login`` and save the three pages as PNGs in ``out``."""
    base, token = _token(login)
    targets = pages(base, token)
    if not Path(chromium).exists():
        raise UserFacingError(f"no browser at {chromium} (apt-get install chromium)")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        raise UserFacingError("the playwright package is missing (make install)") from None
    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        except Error as exc:
            raise UserFacingError(f"chromium did not start: {str(exc).splitlines()[0]}") from None
        try:
            page = browser.new_context(viewport={"width": WIDTH, "height": 900}).new_page()
            page.goto(f"{base}/login?token={token}")
            for name, path in targets.items():
                response = page.goto(base + path, wait_until="networkidle")
                if response is None or response.status != 200:
                    status = response.status if response else "no answer"
                    raise UserFacingError(f"{path} answered {status}")
                height = page.evaluate("document.documentElement.scrollHeight")
                target = out / name
                page.screenshot(path=str(target), full_page=True,
                                clip={"x": 0, "y": 0, "width": WIDTH,
                                      "height": min(height, MAX_HEIGHT)})  # fmt: skip
                saved.append(target)
        finally:
            browser.close()
    return saved


if __name__ == "__main__":
    sys.exit(main())
