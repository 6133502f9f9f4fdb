"""What a service provides: one handler per command, taking its database connection as a port."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from uuid import UUID

import asyncpg
from pydantic import BaseModel

PayloadT = TypeVar("PayloadT", bound=BaseModel)


@dataclass(frozen=True)
class Outcome:
    """A handler's business answer; `success=False` is a rule refusal, remembered like a success."""

    success: bool
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    code: str | None = None  # a refusal's stable name, for programs; `error` is for people


def done(**result: Any) -> Outcome:
    return Outcome(success=True, result=result)


def refused(code: str, error: str) -> Outcome:
    return Outcome(success=False, error=error, code=code)


CommandHandler = Callable[[asyncpg.Connection, UUID, PayloadT], Awaitable[Outcome]]


@dataclass(frozen=True)
class Handler(Generic[PayloadT]):
    """A command's payload model and the function that applies it inside the caller's transaction."""

    payload: type[PayloadT]
    apply: CommandHandler[PayloadT]

    def bind(self, payload: PayloadT) -> "BoundHandler":
        """The handler with its already validated payload, ready to run in a transaction."""
        return lambda conn, saga_id: self.apply(conn, saga_id, payload)


BoundHandler = Callable[[asyncpg.Connection, UUID], Awaitable[Outcome]]
