"""The FastAPI application factory: JSON API, dashboard, health and metrics.

``create_app(parts)`` wires routes to the parts the composition root built (anything that
fits :class:`~api.ports.ApiParts`); nothing is built or connected at import time, and the
Kafka producer is made on the first ingest request.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import errors, openapi
from api.middleware import MetricsMiddleware
from api.ports import ApiParts


def create_app(parts: ApiParts) -> FastAPI:
    """A new app serving ``parts``' read model, alerts, tokens and attendance topic."""
    from api.dashboard.alert_forms import router as alert_forms
    from api.dashboard.routes import install as install_pages
    from api.dashboard.routes import router as dashboard
    from api.dashboard.views import router as pages
    from api.routes import docs
    from api.routes.actions import router as actions
    from api.routes.alerts import router as alerts
    from api.routes.ingest import router as ingest
    from api.routes.interventions import router as interventions
    from api.routes.onboarding import router as onboarding
    from api.routes.ops import router as ops
    from api.routes.read import router as read

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        parts.attendance_publisher.close()  # a no-op unless a request opened a producer

    app = FastAPI(
        title="peerpulse",
        version="1.0.0",
        summary="Engagement of peer-mentoring groups: attendance in, risk and alerts out.",
        description=_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.parts = parts
    app.state.tokens = parts.token_store
    errors.install(app)
    openapi.install(app)
    docs.install(app)
    install_pages(app)
    app.add_middleware(MetricsMiddleware)
    for router in (ingest, read, alerts, interventions, ops, onboarding, dashboard, pages,
                   alert_forms, actions):  # fmt: skip
        app.include_router(router)
    return app


_DESCRIPTION = """
Authenticate with `Authorization: Bearer <token>` (`peerpulse tokens create`); a browser
signed in to the dashboard (`/login`) is authenticated by its `pp_session` cookie instead.
Scopes: `ingest` (post attendance), `read` (queries, dashboard, acting on alerts and
logging interventions),
`ops` (the pipeline's status), `admin` (everything); each operation lists the scope it
needs under its security.
A token limited to programs sees only those programs.
Tokens expire (90 days unless created with `--expires-in DAYS`).
401 means no usable token (missing, unknown, revoked or expired; the message says which);
403 means the token lacks the scope, or names a program filter it does not cover.
A group, its members or an alert outside the token's programs answers exactly like one
that does not exist: 404 `no such group` / `no such alert`.
Errors are always `{"error": {"code", "message", "field"}}`.
"""
