"""Which errors are the store's or the network's (retry) and which are the record's own
(quarantine): psycopg raises subclasses of OperationalError for outages."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from infra.errors import transient
from infra.sql import StoreUnreachable


@pytest.mark.parametrize(
    "exc",
    [
        sqlite3.OperationalError("database is locked"),
        psycopg.OperationalError("server closed the connection"),
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.errors.SerializationFailure("could not serialize access"),
        psycopg.errors.AdminShutdown("terminating connection"),
        psycopg.InterfaceError("the connection is closed"),
        StoreUnreachable("PostgreSQL at db:5432/x is not reachable"),
        ConnectionResetError(),
    ],
)
def test_outages_are_transient(exc: Exception) -> None:
    assert transient(exc)


@pytest.mark.parametrize(
    "exc", [ValueError("bad detail"), KeyError("member"), psycopg.errors.DataError("NUL")]
)
def test_a_records_own_errors_are_not(exc: Exception) -> None:
    assert not transient(exc)
