"""Errors that end a CLI command with a one-line explanation instead of a traceback."""


def one_line(exc: BaseException) -> str:
    """``"Type: message"`` on one line, whitespace folded (for operator-facing errors)."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


class UserFacingError(Exception):
    """Something the operator can fix; the CLI prints the message and exits non-zero."""

    exit_code = 2
