"""Errors that end a CLI command with a one-line explanation instead of a traceback."""


class UserFacingError(Exception):
    """Something the operator can fix; the CLI prints the message and exits non-zero."""

    exit_code = 2
