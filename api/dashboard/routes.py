"""Dashboard sign-in to a server-side session, sign-out, static files and the HTML error
pages; the pages themselves are in :mod:`api.dashboard.views`.

Pages use the same tokens as the API (docs/decisions/0010-api-auth.md): ``/login`` takes a
token secret or a one-time login link's code, starts a session and sets its random id (never
the secret) in an HttpOnly, SameSite=Strict cookie; ``/logout`` ends the session. Without a
session a page answers an HTML 401; a group, program or alert outside the token's programs
answers the same 404 page as one that does not exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from api.auth.deps import COOKIE, LEGACY_COOKIE, NO_TOKEN, identify
from api.auth.sessions import is_login_code
from api.auth.tokens import ApiToken, Scope
from api.dashboard.html import message_page

router = APIRouter(include_in_schema=False)
HERE = Path(__file__).resolve().parent
STATIC = {"dashboard.css": "text/css", "dashboard.js": "text/javascript"}
SIGN_IN = ('<form method="post" action="/login" class="signin"><label for="token">API token'
           '</label><input id="token" name="token" type="password" autocomplete="off" required>'
           '<button type="submit">Sign in</button></form><p>Get a token with '
           "<code>peerpulse tokens create --scope read --name YOU</code>.</p>")  # fmt: skip


class PageError(Exception):
    """An HTML error page: 401 (sign in), 403 (not allowed), 404 (no such thing)."""

    def __init__(self, status: int, title: str, text: str) -> None:
        super().__init__(text)
        self.status, self.title, self.text = status, title, text


def _page_error(request: Request, exc: PageError) -> HTMLResponse:
    extra = SIGN_IN if exc.status == 401 else ""
    return HTMLResponse(message_page(exc.title, exc.text, extra), status_code=exc.status)


def install(app: FastAPI) -> None:
    """Register the HTML error pages, and the unmatched page (decision 0021)."""
    app.add_exception_handler(PageError, _page_error)
    from api.dashboard.unmatched_page import router as unmatched  # it imports this module

    app.include_router(unmatched)


def reader(request: Request) -> ApiToken:
    """The signed-in token, which must be allowed to read (HTML 401/403 otherwise)."""
    token, why = identify(request)
    if token is None:
        why = "" if why == NO_TOKEN else f" ({why})"
        raise PageError(401, "Sign in", f"Sign in with an API token or a login link{why}.")
    if not token.allows(Scope.READ):
        raise PageError(403, "Not allowed", "This token cannot read dashboards.")
    return token


def _secure(request: Request) -> bool:
    public_url = request.app.state.parts.settings.public_url
    return public_url.lower().startswith("https:") or request.url.scheme == "https"


def _sign_in(request: Request, presented: str) -> Response:
    tokens = request.app.state.tokens
    if not presented:
        token, why = None, "no token given"
    elif is_login_code(presented):
        token, why = tokens.sessions.redeem(presented)
    else:
        token, why = tokens.check(presented)
    if token is None:
        raise PageError(401, "Sign in", f"Could not sign in: {why}.")
    session = tokens.sessions.start(token)
    lifetime = int((session.expires_at - tokens.clock()).total_seconds())
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, session.id, httponly=True, samesite="strict", path="/",
                        secure=_secure(request), max_age=max(lifetime, 1))  # fmt: skip
    response.delete_cookie(LEGACY_COOKIE, path="/")
    return response


@router.get("/login")
def login(request: Request, token: Annotated[str, Query(max_length=200)] = "") -> Response:
    """Sign in with a login link's code or a token secret, then go to the overview."""
    return _sign_in(request, token)


@router.post("/login")
async def login_form(request: Request) -> Response:
    """The sign-in form: the secret travels in the body, not the address bar."""
    form = parse_qs((await request.body())[:2_000].decode("utf-8", "replace"))
    return _sign_in(request, (form.get("token") or [""])[0][:200].strip())


@router.api_route("/logout", methods=["GET", "POST"])
def logout(request: Request) -> Response:
    """End the session and forget its cookie."""
    session = request.cookies.get(COOKIE)
    if session:
        request.app.state.tokens.sessions.end(session)
    response = HTMLResponse(message_page("Signed out", "You are signed out.", SIGN_IN))
    response.delete_cookie(COOKIE, path="/")
    response.delete_cookie(LEGACY_COOKIE, path="/")
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The dashboard's stylesheet and script (no CDN, works offline)."""
    if name not in STATIC:
        raise PageError(404, "Not found", "No such file.")
    return FileResponse(HERE / name, media_type=STATIC[name])
