"""Header values built from data (group names, contacts, keys), made safe to send.

An SMTP or HTTP header ends at a line break, so a CR or LF in a group name would either
let the name write headers of its own or make the e-mail package refuse the message. Every
channel passes data through :func:`header_safe` where it becomes a header.
"""

from __future__ import annotations

import re

_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
"""C0 and C1 controls (CR, LF, NUL, tab, NEL, …) and the Unicode line/paragraph separators:
every character :meth:`str.splitlines` breaks on, and the rest that no header may carry."""

_SPACES = re.compile(r" {2,}")


def header_safe(value: str) -> str:
    """``value`` on one line: each control character becomes a space, runs of spaces
    collapse into one, the ends are trimmed. Non-ASCII text is kept as it is: the e-mail
    package encodes it (RFC 2047) when the message is written."""
    return _SPACES.sub(" ", _BREAKING.sub(" ", value)).strip()
