"""Long-running services expose the metrics catalogue on PEERPULSE_METRICS_PORT."""

from __future__ import annotations

import urllib.request

from infra.broker import free_port
from infra.settings import Settings
from peerpulse.cli import serve_metrics


def test_a_service_serves_the_catalogue_metrics_when_a_port_is_set() -> None:
    port = free_port()
    serve_metrics("relay", Settings(_env_file=None, metrics_port=port))
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        body = resp.read().decode()
    assert "peerpulse_relay_events_published_total" in body
    assert "peerpulse_ingest_rejections_total" in body


def test_one_shot_commands_and_unset_ports_serve_nothing() -> None:
    port = free_port()
    serve_metrics("topics", Settings(_env_file=None, metrics_port=port))
    serve_metrics("relay", Settings(_env_file=None, metrics_port=0))
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1)
    except OSError:
        pass
    else:
        raise AssertionError("a one-shot command must not open a metrics port")
