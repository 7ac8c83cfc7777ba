"""Request metrics: count and time every request by its route template (bounded labels)."""

from __future__ import annotations

import time

from infra.metrics import API_REQUEST_SECONDS, API_REQUESTS


class MetricsMiddleware:
    """Pure ASGI middleware; ``route`` is the matched template or ``unmatched``."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 500}
        started = time.perf_counter()

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope.get("method", "GET")
            API_REQUESTS.labels(method=method, route=route, status=str(status["code"])).inc()
            API_REQUEST_SECONDS.labels(method=method, route=route).observe(
                time.perf_counter() - started
            )
