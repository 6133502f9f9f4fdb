"""What the API answers when it cannot serve a request: the reason in words, never its internals
(exception names, SQL, hosts), which go to the log instead."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from saga_orchestrator.runtime.settled import TooManyWaiters
from shared import database

log = logging.getLogger(__name__)

# Long enough for some long-polls to end; short enough that a client does not idle for long.
RETRY_AFTER_SECONDS = 1


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    """422 naming each field and what is wrong with it, without echoing the input back."""
    assert isinstance(exc, RequestValidationError)
    detail = [
        {
            "loc": [_printable(part) for part in error["loc"]],
            "msg": _printable(error["msg"]),
            "type": error["type"],
        }
        for error in exc.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def _printable(part: Any) -> Any:
    """A lone surrogate from a JSON escape cannot be encoded as UTF-8: it is shown escaped."""
    return part.encode("utf-8", "backslashreplace").decode() if isinstance(part, str) else part


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A lost database is a passing outage: 503 tells the client to try again, where 500 would not."""
    log.warning("%s %s: database unavailable: %r", request.method, request.url.path, exc)
    return JSONResponse({"detail": "database unavailable; try again shortly"}, status_code=503)


async def too_many_waiters(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "too many requests are waiting for sagas; try again shortly, or without `wait`"},
        status_code=429,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(TooManyWaiters, too_many_waiters)
    for unavailable in database.UNAVAILABLE:
        app.add_exception_handler(unavailable, database_unavailable)
