"""A live API server over built parts, for the browser tests (Chromium via Playwright)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from api.app import create_app
from infra.broker import free_port


@contextmanager
def serving(parts) -> Iterator[str]:
    """Serve ``create_app(parts)`` on a free local port; yields its base URL. Stops the
    server and closes ``parts`` on the way out."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(parts), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        parts.close()
