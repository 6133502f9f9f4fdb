"""Starts a process with faults installed around its production code: `python -m tests.faulty <package>`.

Only this entry reads the FAULT_* variables, so the code that ships has no switch that drops or
fails work. Each fault wraps a production object, then the package runs as `python -m` runs it:
- FAULT_DUPLICATE_PUBLISHES=true: every publish goes out twice, as a broker may redeliver;
- FAULT_FAIL_COMMANDS=a,b: those commands' handlers raise, so each is answered with a failure;
- FAULT_DROP_COMMANDS=a,b: those commands are taken and never answered, as if a reply were lost;
- FAULT_DELAY_COMMANDS=a:2.0,b:0.5: those commands' handlers wait that many seconds, then run, as a
  slow service would;
- FAULT_FLAKY_COMMANDS=a:2: the first 2 handlings of `a` for each saga raise, then it works, as a
  service that recovers would (counted in the process's memory; a handling that raises in a batch
  runs again alone, which counts as another).
"""

import asyncio
import importlib
import importlib.util
import logging
import runpy
import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.broker import Publisher
from shared.contracts import CommandMessage
from shared.worker.consumer import CommandConsumer
from shared.worker.handlers import CommandHandler, Handler, Outcome

log = logging.getLogger(__name__)


class Faults(BaseSettings):
    """The faults to install; all off by default."""

    model_config = SettingsConfigDict(env_prefix="FAULT_", frozen=True, extra="ignore")

    duplicate_publishes: bool = False
    fail_commands: str = ""  # comma-separated
    drop_commands: str = ""  # comma-separated
    delay_commands: str = ""  # comma-separated command:seconds
    flaky_commands: str = ""  # comma-separated command:failures

    @property
    def fails(self) -> frozenset[str]:
        return _names(self.fail_commands)

    @property
    def drops(self) -> frozenset[str]:
        return _names(self.drop_commands)

    @property
    def delays(self) -> dict[str, float]:
        return {name: float(seconds) for name, seconds in _pairs(self.delay_commands)}

    @property
    def flakes(self) -> dict[str, int]:
        return {name: int(failures) for name, failures in _pairs(self.flaky_commands)}

    def handler_faults(self) -> dict[str, "Wrap"]:
        """What each faulty command's handler becomes, around the production one."""
        wraps: list[tuple[str, Wrap]] = [
            *((name, partial(_failing, name)) for name in self.fails),
            *((name, partial(_delayed, seconds)) for name, seconds in self.delays.items()),
            *((name, partial(_flaky, name, failures)) for name, failures in self.flakes.items()),
        ]
        named = [name for name, _ in wraps]
        if len(set(named)) != len(named):
            raise ValueError(f"one fault per command: {sorted(named)}")
        return dict(wraps)


def _names(csv: str) -> frozenset[str]:
    return frozenset(name.strip() for name in csv.split(",") if name.strip())


def _pairs(csv: str) -> list[tuple[str, str]]:
    """`a:1,b:2` as [("a", "1"), ("b", "2")]."""
    pairs = [item.partition(":") for item in _names(csv)]
    if any(not value for _, _, value in pairs):
        raise ValueError(f"{csv!r}: write command:value, comma-separated")
    return [(name.strip(), value.strip()) for name, _, value in pairs]


class InjectedFault(Exception):
    """Raised by the handler of a command a test made fail."""


def failing(handlers: Mapping[str, Handler[Any]], commands: Collection[str]) -> dict[str, Handler[Any]]:
    """The handlers, those of `commands` replaced by one that raises before it changes anything."""
    return {
        name: Handler(handler.payload, _raises(name)) if name in commands else handler
        for name, handler in handlers.items()
    }


def _raises(command: str) -> CommandHandler[Any]:
    async def apply(conn: asyncpg.Connection, saga_id: UUID, payload: Any) -> Outcome:
        raise InjectedFault(f"injected failure of {command}")

    return apply


Wrap = Callable[[CommandHandler[Any]], CommandHandler[Any]]


def _failing(command: str, handler: CommandHandler[Any]) -> CommandHandler[Any]:
    return _raises(command)


def _delayed(seconds: float, handler: CommandHandler[Any]) -> CommandHandler[Any]:
    async def apply(conn: asyncpg.Connection, saga_id: UUID, payload: Any) -> Outcome:
        await asyncio.sleep(seconds)
        return await handler(conn, saga_id, payload)

    return apply


def _flaky(command: str, failures: int, handler: CommandHandler[Any]) -> CommandHandler[Any]:
    handled: Counter[UUID] = Counter()

    async def apply(conn: asyncpg.Connection, saga_id: UUID, payload: Any) -> Outcome:
        handled[saga_id] += 1
        if handled[saga_id] <= failures:
            raise InjectedFault(f"injected failure {handled[saga_id]} of {failures} of {command}")
        return await handler(conn, saga_id, payload)

    return apply


Publish = Callable[..., Awaitable[None]]


def _twice(publish: Publish) -> Publish:
    async def publish_twice(self: Publisher, *args: Any, **kwargs: Any) -> None:
        await publish(self, *args, **kwargs)
        await publish(self, *args, **kwargs)

    return publish_twice


Refuses = Callable[[CommandConsumer, CommandMessage], bool]


def _dropping(refuses: Refuses, commands: frozenset[str]) -> Refuses:
    def refuses_or_drops(self: CommandConsumer, command: CommandMessage) -> bool:
        if command.command in commands:
            log.warning("saga=%s step=%s dropped (fault injection)", command.saga_id, command.step_id)
            return True
        return refuses(self, command)

    return refuses_or_drops


@contextmanager
def installed(faults: Faults, package: str) -> Iterator[None]:
    """The faults wrapped around the production objects, until the block ends."""
    with pytest.MonkeyPatch.context() as patch:
        if faults.duplicate_publishes:
            patch.setattr(Publisher, "publish", _twice(Publisher.publish))
        if faults.drops:
            patch.setattr(CommandConsumer, "_refuses", _dropping(CommandConsumer._refuses, faults.drops))
        wraps = faults.handler_faults()
        if wraps and importlib.util.find_spec(f"{package}.handlers"):  # the orchestrator has none
            handlers: dict[str, Handler[Any]] = importlib.import_module(f"{package}.handlers").HANDLERS
            for name, wrap in wraps.items():
                if name in handlers:
                    patch.setitem(handlers, name, Handler(handlers[name].payload, wrap(handlers[name].apply)))
        yield


def main() -> None:
    package = sys.argv.pop(1)  # the package then sees the arguments it would have had
    with installed(Faults(), package):
        runpy.run_module(package, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
