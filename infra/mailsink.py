"""A local SMTP mail sink for the embedded profile: lapse warnings land as files.

Every message received is written to ``<data_dir>/mail/NNNN.eml`` and summarised in
``<data_dir>/mail/index.jsonl`` (to, subject, Message-ID), so a newcomer running the demo
can read exactly what a coordinator would have received.
"""

from __future__ import annotations

import json
import threading
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller


class _SaveToDirectory:
    """aiosmtpd handler that stores each message and indexes it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        message = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        with self._lock:
            number = len(list(self.directory.glob("*.eml"))) + 1
            path = self.directory / f"{number:04d}.eml"
            path.write_bytes(envelope.original_content or envelope.content)
            entry = {
                "file": path.name,
                "to": list(envelope.rcpt_tos),
                "subject": str(message.get("Subject", "")),
                "message_id": str(message.get("Message-ID", "")),
            }
            with (self.directory / "index.jsonl").open("a", encoding="utf-8") as index:
                index.write(json.dumps(entry) + "\n")
        return "250 Message accepted for delivery"


def start_mailsink(directory: Path, host: str, port: int) -> Controller:
    """Start the sink in a background thread; call ``.stop()`` on the result to end it."""
    controller = Controller(_SaveToDirectory(directory), hostname=host, port=port)
    controller.start()
    return controller


def read_index(directory: Path) -> list[dict]:
    """Every message the sink has received, oldest first."""
    index = directory / "index.jsonl"
    if not index.exists():
        return []
    return [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line]
