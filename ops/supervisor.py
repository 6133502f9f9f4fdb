"""Keeps a local system's processes running as compose's `restart: unless-stopped` does: a process
that exits by itself is started again, after a delay that doubles with each crash in a row."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from ops.system import System


@dataclass(frozen=True)
class Backoff:
    """Docker's restart delays: from `base`, doubling up to `cap`; a process that ran `reset_after`
    seconds before it died counts as healthy again, so its next restart waits only `base`."""

    base: float = 0.1
    cap: float = 30.0
    reset_after: float = 10.0

    def delay(self, crashes: int) -> float:
        """The wait before the restart that follows `crashes` earlier crashes in a row."""
        return min(self.cap, self.base * 2.0**crashes)


DEFAULT_BACKOFF = Backoff()


@dataclass
class _Watch:
    started: float
    crashes: int = 0  # in a row
    restart_at: float | None = None  # set while the process waits out its delay


class Supervisor:
    """Restarts the system's processes that exit; `check` does one round and never blocks, so the
    caller's loop (following the logs) runs it as often as it likes. A process taken out of the
    system's `processes` (killed on purpose) is left alone."""

    def __init__(
        self,
        system: System,
        say: Callable[[str], None],
        backoff: Backoff = DEFAULT_BACKOFF,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.system, self.say, self.backoff, self.clock = system, say, backoff, clock
        self._watches: dict[str, _Watch] = {}

    def start_all(self, timeout: float = 60) -> None:
        self.system.start_all(timeout)
        for service in self.system.processes:
            self._started(service)

    def check(self) -> None:
        now = self.clock()
        for service, watch in self._watches.items():
            process = self.system.processes.get(service)
            if process is None:
                continue
            if watch.restart_at is None and (code := process.poll()) is not None:
                healthy = now - watch.started >= self.backoff.reset_after
                watch.crashes = 0 if healthy else watch.crashes
                delay = self.backoff.delay(watch.crashes)
                watch.crashes += 1
                watch.restart_at = now + delay
                self.say(
                    f"{service} exited with code {code}; restarting in {delay:g} s ({watch.crashes} in a row)"
                )
            elif watch.restart_at is not None and now >= watch.restart_at:
                self.system.start(service)
                self._started(service)

    def _started(self, service: str) -> None:
        crashes = self._watches[service].crashes if service in self._watches else 0
        self._watches[service] = _Watch(started=self.clock(), crashes=crashes)
        self.say(f"{service} started, pid {self.system.processes[service].pid}")
