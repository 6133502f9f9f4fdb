"""Who is calling: the bearer key names the caller and its role. Routes say what each role may do."""

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from saga_orchestrator.api.keys import ANONYMOUS, ApiKeys, Caller, Role
from saga_orchestrator.api.schemas import Problem

# Declares the scheme in OpenAPI, so /docs has an Authorize button; the refusals are ours.
_bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer <key>`")

Responses = dict[int | str, dict[str, Any]]

UNAUTHORIZED: Responses = {401: {"model": Problem, "description": "no API key, or not a known one"}}
FORBIDDEN: Responses = {403: {"model": Problem, "description": "only an operator may do this"}}


async def _caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
) -> Caller:
    keys: ApiKeys = request.app.state.api_keys
    if not keys:
        return ANONYMOUS
    caller = keys.find(credentials.credentials) if credentials else None
    if caller is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "an API key is required: Authorization: Bearer <key>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return caller


CallerDep = Annotated[Caller, Depends(_caller)]


async def _operator(caller: CallerDep) -> Caller:
    if caller.role is not Role.OPERATOR:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an operator may do this")
    return caller


OperatorDep = Annotated[Caller, Depends(_operator)]
