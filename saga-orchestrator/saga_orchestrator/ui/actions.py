"""The dashboard's forms: logging in and out, cancelling and retrying a saga, redriving and discarding
a dead letter. Each calls the application function its API route calls, and checks the CSRF token."""

import hmac
import secrets
from collections.abc import Coroutine
from typing import Any

import asyncpg
from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import HTMLResponse, RedirectResponse

from saga_orchestrator.api import dead_letters, operations
from saga_orchestrator.api.dead_letters import LetterId
from saga_orchestrator.api.deps import PoolDep, Resources, ResourcesDep
from saga_orchestrator.api.workflow_schemas import SagaKey, WorkflowName
from saga_orchestrator.runtime.dead_letters import DeadLetters
from saga_orchestrator.ui import pages
from saga_orchestrator.ui.session import COOKIE, Session
from saga_orchestrator.ui.web import (
    HEADERS,
    FormDep,
    SessionDep,
    back_to,
    read_form,
    render,
    sessions,
    set_cookie,
)

router = APIRouter(prefix="/ui", include_in_schema=False)

# Before login there is no session: the login form's token is checked against a cookie of its own.
LOGIN_COOKIE = "saga_login"


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, failed: bool = False) -> Response:
    if sessions(request).open:
        return back_to("/ui/sagas")  # no keys to log in with: the dashboard is open
    token = secrets.token_urlsafe(24)
    response = render(request, None, "login.html", code=401 if failed else 200, csrf=token, failed=failed)
    set_cookie(request, response, LOGIN_COOKIE, token)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    fields = await read_form(request)
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(fields.get("csrf", ""), expected):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form's CSRF token does not match")
    caller = sessions(request).login(fields.get("key", ""))
    if caller is None:
        return RedirectResponse("/ui/login?failed=true", status.HTTP_303_SEE_OTHER, headers=HEADERS)
    _, cookie = sessions(request).begin(caller)
    response = back_to("/ui/sagas")
    set_cookie(request, response, COOKIE, cookie)
    response.delete_cookie(LOGIN_COOKIE, path="/ui")
    return response


@router.post("/logout")
async def logout(_: FormDep) -> Response:
    response = back_to("/ui/login")
    response.delete_cookie(COOKIE, path="/ui")
    return response


@router.post("/sagas/{workflow}/{key}/cancel")
async def cancel(
    request: Request,
    workflow: WorkflowName,
    key: SagaKey,
    resources: ResourcesDep,
    session: SessionDep,
    _: FormDep,
) -> Response:
    act = operations.cancel(workflow, key, Response(), resources, session.caller)
    return await _saga_action(request, session, resources, (workflow, key), act)


@router.post("/sagas/{workflow}/{key}/retry")
async def retry(
    request: Request,
    workflow: WorkflowName,
    key: SagaKey,
    resources: ResourcesDep,
    session: SessionDep,
    _: FormDep,
) -> Response:
    act = operations.resume(workflow, key, Response(), resources, session.caller)
    return await _saga_action(request, session, resources, (workflow, key), act)


async def _saga_action(
    request: Request,
    session: Session,
    resources: Resources,
    saga: tuple[str, str],
    act: Coroutine[Any, Any, object],
) -> Response:
    """Back to the saga's page; a refusal (its state does not allow it) is shown there."""
    try:
        await act
    except HTTPException as exc:
        if exc.status_code != status.HTTP_409_CONFLICT:
            raise
        return await pages.show_saga(request, session, resources, saga, problem=str(exc.detail))
    return back_to(f"/ui/sagas/{saga[0]}/{saga[1]}")


@router.post("/dead-letters/{letter_id}/redrive")
async def redrive(
    request: Request, letter_id: LetterId, pool: PoolDep, session: SessionDep, _: FormDep
) -> Response:
    act = dead_letters.redrive_dead_letter(letter_id, pool, _service(request), session.caller)
    return await _letter_action(request, session, pool, act)


@router.post("/dead-letters/{letter_id}/discard")
async def discard(
    request: Request, letter_id: LetterId, pool: PoolDep, session: SessionDep, _: FormDep
) -> Response:
    act = dead_letters.discard_dead_letter(letter_id, pool, _service(request), session.caller)
    return await _letter_action(request, session, pool, act)


def _service(request: Request) -> DeadLetters:
    service: DeadLetters = request.app.state.dead_letters
    return service


async def _letter_action(
    request: Request, session: Session, pool: asyncpg.Pool, act: Coroutine[Any, Any, object]
) -> Response:
    """Back to the list; a refusal (already dealt with, or the broker did not take it) is shown there."""
    try:
        await act
    except HTTPException as exc:
        return await pages.show_letters(request, session, pool, problem=(exc.status_code, str(exc.detail)))
    return back_to("/ui/dead-letters")
