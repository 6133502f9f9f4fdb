"""What the API answers when it cannot serve a request says why in words, and nothing of its internals."""

from typing import Any, cast

import asyncpg
import pytest
from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError

from saga_orchestrator.api import errors, routes
from saga_orchestrator.api.deps import Resources

pytestmark = pytest.mark.unit

INTERNALS = ("OSError", "db.internal", "5432", "SELECT")


def _request() -> Request:
    return Request({"type": "http", "method": "GET", "path": "/saga/o-1/status", "headers": []})


async def test_a_database_outage_answers_503_without_the_exception() -> None:
    outage = OSError("connect to db.internal:5432 refused")

    response = await errors.database_unavailable(_request(), outage)

    assert response.status_code == 503
    assert not any(word.encode() in response.body for word in INTERNALS)


class _NoDatabase:
    async def fetchval(self, sql: str) -> Any:
        raise OSError(f"connect to db.internal:5432 refused running {sql}")


async def test_readiness_says_the_database_is_unavailable_and_no_more() -> None:
    unused: Any = None
    resources = Resources(
        pool=cast(asyncpg.Pool, _NoDatabase()),
        broker=unused,
        runner=unused,
        settled=unused,
        definitions=unused,
    )

    with pytest.raises(HTTPException) as refused:
        await routes.readyz(resources)

    assert refused.value.status_code == 503
    assert not any(word in str(refused.value.detail) for word in INTERNALS)


async def test_an_invalid_request_names_the_field_without_echoing_the_input() -> None:
    invalid = RequestValidationError(
        [
            {
                "type": "extra_forbidden",
                "loc": ("body", "\ud800"),
                "msg": "Extra inputs are not permitted",
                "input": 1,
            },
            {
                "type": "finite_number",
                "loc": ("body", "amount"),
                "msg": "Input should be finite",
                "input": 1e999,
            },
        ]
    )

    response = await errors.invalid_request(_request(), invalid)

    assert response.status_code == 422
    assert b'"loc":["body","\\\\ud800"]' in response.body  # shown escaped: no lone surrogate to encode
    assert b'"input"' not in response.body and b"Infinity" not in response.body
