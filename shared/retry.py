"""Waiting for a server that is still starting: a process may come up before its database or broker."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


async def when_up(
    connect: Callable[[], Awaitable[T]],
    errors: tuple[type[Exception], ...],
    what: str,
    *,
    attempts: int = 60,
    delay: float = 0.5,
) -> T:
    """Calls `connect` until it stops raising one of `errors`, up to `attempts` times."""
    for attempt in range(1, attempts):
        try:
            return await connect()
        except errors as exc:
            log.warning("%s not reachable (%s), attempt %d of %d", what, exc, attempt, attempts)
            await asyncio.sleep(delay)
    return await connect()
