"""API documentation pages: Swagger UI at ``/docs`` and ReDoc at ``/redoc``, both offline.

Their scripts, stylesheet and icon are served from ``/docs/assets/``, out of the
``fastapi-offline`` package (the Swagger UI 5 and ReDoc 2 bundles, pinned with it in
pyproject.toml; chosen over ``swagger-ui-bundle``, whose Swagger UI 4 cannot read OpenAPI
3.1, and ``drf-spectacular-sidecar``, which needs Django), so the pages load with no network
beyond this server: no CDN, no web fonts, no validator badge. Each page carries a
Content-Security-Policy allowing only this origin (its one inline script by hash), so
nothing they render can call out either (ReDoc's "powered by" logo, a CDN image, is not
loaded).
"""

from __future__ import annotations

import re
from base64 import b64encode
from hashlib import sha256
from importlib.resources import files

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
POLICY = (
    "default-src 'self'; script-src 'self'{scripts}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""Swagger UI and ReDoc set inline styles and ReDoc runs its search in a blob: worker."""
router = APIRouter(include_in_schema=False)


def install(app: FastAPI) -> None:
    """Serve the pages and their assets on ``app`` (created with ``docs_url=None``)."""
    static = files("fastapi_offline").joinpath("static")
    app.mount(ASSETS, StaticFiles(directory=str(static)), name="docs-assets")
    app.include_router(router)


def _urls(request: Request) -> tuple[str, str]:
    """The OpenAPI document's URL and the assets' base, under the app's root path."""
    root = request.scope.get("root_path", "").rstrip("/")
    return f"{root}{request.app.openapi_url}", f"{root}{ASSETS}"


def _locked_down(page: HTMLResponse) -> HTMLResponse:
    """``page`` with :data:`POLICY`, its inline scripts allowed by their sha256."""
    inline = re.findall(r"<script>(.*?)</script>", bytes(page.body).decode(), flags=re.S)
    digests = (b64encode(sha256(script.encode()).digest()).decode() for script in inline)
    page.headers["Content-Security-Policy"] = POLICY.format(
        scripts="".join(f" 'sha256-{d}'" for d in digests)
    )
    return page


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI: every operation, tried out with a token (Authorize)."""
    openapi, assets = _urls(request)
    return _locked_down(get_swagger_ui_html(
        openapi_url=openapi, title=f"{request.app.title} API",
        swagger_js_url=f"{assets}/swagger-ui-bundle.js",
        swagger_css_url=f"{assets}/swagger-ui.css",
        swagger_favicon_url=f"{assets}/favicon.png",
        oauth2_redirect_url=None,
        swagger_ui_parameters={"validatorUrl": None},
    ))  # fmt: skip


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """ReDoc: the same document as one reading page."""
    openapi, assets = _urls(request)
    return _locked_down(get_redoc_html(
        openapi_url=openapi, title=f"{request.app.title} API",
        redoc_js_url=f"{assets}/redoc.standalone.js",
        redoc_favicon_url=f"{assets}/favicon.png", with_google_fonts=False,
    ))  # fmt: skip
