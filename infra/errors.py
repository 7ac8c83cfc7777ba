"""Errors that end a CLI command with a one-line explanation instead of a traceback."""


def one_line(exc: BaseException) -> str:
    """``"Type: message"`` on one line, whitespace folded (for operator-facing errors)."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def transient(exc: BaseException) -> bool:
    """An error of the store or the network (worth retrying), not of the record in hand:
    sqlite3's and psycopg's ``OperationalError``/``InterfaceError`` and their subclasses
    (deadlock, serialization failure, admin shutdown, …), a pool timeout, an unreachable
    store and OS-level errors.
    Stages quarantine a record whose error is not transient and retry the rest."""
    names = {cls.__name__ for cls in type(exc).__mro__}  # psycopg raises subclasses
    return isinstance(exc, OSError) or bool(
        names & {"OperationalError", "InterfaceError", "StoreUnreachable", "PoolTimeout"}
    )


class UserFacingError(Exception):
    """Something the operator can fix; the CLI prints the message and exits non-zero."""

    exit_code = 2
