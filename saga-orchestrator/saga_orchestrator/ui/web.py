"""What every dashboard page shares: the session behind it, the CSRF check of its forms, and rendering."""

import hmac
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from saga_orchestrator.api.keys import ANONYMOUS
from saga_orchestrator.ui.session import COOKIE, LIFETIME_SECONDS, Session, Sessions

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

# The pages load only their own script and styles, and no other site may frame them (a framed
# Cancel button could be clicked by a visitor who never meant to).
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
MAX_FORM_BYTES = 4096


class LoginRequired(Exception):
    """No valid session: the page answers with the login form instead."""


def sessions(request: Request) -> Sessions:
    found: Sessions = request.app.state.ui_sessions
    return found


def _fresh(request: Request) -> Session:
    """The session behind the request; with authentication off, a new anonymous one if none."""
    session = sessions(request).read(request.cookies.get(COOKIE))
    if session is not None:
        return session
    if sessions(request).open:
        session, cookie = sessions(request).begin(ANONYMOUS)
        request.state.new_cookie = cookie
        return session
    raise LoginRequired


SessionDep = Annotated[Session, Depends(_fresh)]


async def form(request: Request, session: SessionDep) -> dict[str, str]:
    """The posted form's fields, once its CSRF token matched the session's."""
    fields = await read_form(request)
    if not hmac.compare_digest(fields.get("csrf", ""), session.csrf):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form's CSRF token does not match the session")
    return fields


async def read_form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "the form is too large")
    return dict(parse_qsl(body.decode(errors="replace"), keep_blank_values=True))


FormDep = Annotated[dict[str, str], Depends(form)]


def render(
    request: Request, session: Session | None, template: str, code: int = 200, **context: Any
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        template,
        {"session": session, "open": sessions(request).open, **context},
        status_code=code,
        headers=HEADERS,
    )
    new_cookie = getattr(request.state, "new_cookie", None)
    if new_cookie is not None:
        set_cookie(request, response, COOKIE, new_cookie)
    return response


def set_cookie(request: Request, response: HTMLResponse | RedirectResponse, name: str, value: str) -> None:
    """A cookie no script can read and no other site's page sends: HttpOnly, SameSite=Strict."""
    response.set_cookie(
        name,
        value,
        max_age=LIFETIME_SECONDS,
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def back_to(path: str) -> RedirectResponse:
    """After an action, the page it was taken on (POST, redirect, GET: a reload repeats nothing)."""
    return RedirectResponse(quote(path, safe="/?=&"), status.HTTP_303_SEE_OTHER, headers=HEADERS)
