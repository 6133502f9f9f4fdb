"""Background work of every replica: wake sagas whose time has come, clean and relay the outbox."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from saga_orchestrator.runtime.outbox import OutboxPublisher
from saga_orchestrator.runtime.runner import SagaRunner
from saga_orchestrator.runtime.settled import SettledWaiters
from shared.broker import BROKER_UNAVAILABLE
from shared.database import UNAVAILABLE

log = logging.getLogger(__name__)

WAKE_BATCH = 200
CLEAN_SECONDS = 0.05
LISTEN_CHECK_SECONDS = 1.0


async def every(seconds: float, name: str, work: Callable[[], Awaitable[object]]) -> None:
    """Runs `work` periodically for ever; an outage is logged and the next round tries again."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await work()
        except (*UNAVAILABLE, *BROKER_UNAVAILABLE) as exc:
            log.warning("%s: %s", name, exc)
        except Exception:
            log.exception("%s failed", name)


def background_tasks(
    runner: SagaRunner,
    outbox: OutboxPublisher,
    settled: SettledWaiters,
    wake_seconds: float,
    relay_after: float,
) -> list[asyncio.Task[None]]:
    loops = [
        (LISTEN_CHECK_SECONDS, "settled-listener", settled.keep_listening),
        (wake_seconds, "wake", lambda: runner.wake_due(WAKE_BATCH)),
        (CLEAN_SECONDS, "outbox-clean", outbox.delete_published),
        (relay_after / 2, "outbox-relay", lambda: outbox.relay_stale(relay_after)),
    ]
    return [asyncio.create_task(every(seconds, name, work), name=name) for seconds, name, work in loops]
