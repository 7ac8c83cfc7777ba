"""One source of truth for addresses: an unset bootstrap or public URL follows its port."""

from __future__ import annotations

import os

import pytest

from infra.settings import Settings


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    """Settings as a command builds them: from PEERPULSE_* variables only."""
    for name in list(os.environ):
        if name.startswith("PEERPULSE_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(f"PEERPULSE_{name}", value)
    return Settings(_env_file=None)


def test_defaults_are_the_embedded_broker_and_the_local_api(monkeypatch):
    s = _settings(monkeypatch)
    assert s.kafka_bootstrap == "127.0.0.1:9092"
    assert s.public_url == "http://127.0.0.1:8400"


def test_moving_only_the_broker_port_moves_the_bootstrap(monkeypatch):
    s = _settings(monkeypatch, BROKER_PORT="9192")
    assert (s.broker_port, s.kafka_bootstrap) == (9192, "127.0.0.1:9192")


def test_a_broker_listening_on_every_interface_is_dialled_on_loopback(monkeypatch):
    s = _settings(monkeypatch, BROKER_HOST="0.0.0.0", BROKER_PORT="9300")
    assert s.kafka_bootstrap == "127.0.0.1:9300"


def test_an_ipv6_listen_address_is_bracketed(monkeypatch):
    s = _settings(monkeypatch, BROKER_HOST="::1", API_HOST="::1")
    assert (s.kafka_bootstrap, s.public_url) == ("[::1]:9092", "http://[::1]:8400")


def test_an_explicit_bootstrap_wins_over_the_broker_port(monkeypatch):
    s = _settings(monkeypatch, BROKER_PORT="9192", KAFKA_BOOTSTRAP="kafka:9092")
    assert s.kafka_bootstrap == "kafka:9092"


def test_an_explicit_bootstrap_equal_to_the_default_still_wins(monkeypatch):
    s = _settings(monkeypatch, BROKER_PORT="9192", KAFKA_BOOTSTRAP="127.0.0.1:9092")
    assert s.kafka_bootstrap == "127.0.0.1:9092"


def test_the_public_url_follows_the_api_host_and_port(monkeypatch):
    s = _settings(monkeypatch, API_HOST="10.1.2.3", API_PORT="8500")
    assert s.public_url == "http://10.1.2.3:8500"


def test_an_explicit_public_url_wins(monkeypatch):
    s = _settings(monkeypatch, API_PORT="8500", PUBLIC_URL="https://pulse.example.org")
    assert s.public_url == "https://pulse.example.org"


def test_constructor_arguments_derive_the_same_way():
    s = Settings(_env_file=None, broker_port=9555, api_port=8555)
    assert (s.kafka_bootstrap, s.public_url) == ("127.0.0.1:9555", "http://127.0.0.1:8555")
    assert "kafka_bootstrap" not in s.model_fields_set  # derived, not "set by the user"
