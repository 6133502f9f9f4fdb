"""CPU seconds and peak memory of every process taking part, sampled from a thread every 100 ms.

Postgres is many processes: its auxiliaries (WAL writer, checkpointer...) and one backend per
connection; only the backends of the bench's databases count, so other users of the server do
not. Its memory is the private memory summed plus the largest shared part once, since every
backend maps the same shared buffers.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psutil

LOAD_GENERATOR = "load generator"
POSTGRES = "postgres"
RABBITMQ = "rabbitmq"
MB = 1024 * 1024

Finder = Callable[[], list[psutil.Process]]


@dataclass(frozen=True)
class Usage:
    name: str
    cpu_seconds: float
    peak_mb: float
    processes: int


@dataclass(frozen=True)
class Sample:
    usage: list[Usage]  # one per process or group of processes
    sampler_cpu_seconds: float  # the sampling thread's own, taken out of the load generator's
    machine_cpu_seconds: float  # every CPU's busy time: also the kernel's network work, and others'


def _machine_busy() -> float:
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


@dataclass
class _Group:
    """One row of the report: a process, or a set of processes found again now and then."""

    name: str
    find: Finder
    processes: list[psutil.Process] = field(default_factory=list)
    start_cpu: dict[int, float] = field(default_factory=dict)
    last_cpu: dict[int, float] = field(default_factory=dict)
    peak_bytes: int = 0

    def refresh(self, first: bool) -> None:
        try:
            self.processes = self.find()
        except psutil.Error:
            return  # a process ended while we listed them; the next refresh sees the rest
        for process in self.processes:
            if process.pid not in self.start_cpu:
                # Backends born during the run spent all their CPU in it.
                try:
                    self.start_cpu[process.pid] = _cpu(process) if first else 0.0
                except psutil.Error:
                    continue  # ended since it was listed: it used nothing of the run

    def sample(self) -> None:
        private, shared = 0, 0
        for process in self.processes:
            try:
                with process.oneshot():
                    self.last_cpu[process.pid] = _cpu(process)
                    memory = process.memory_info()
            except psutil.Error:
                continue  # gone: its last sample stands
            private += memory.rss - memory.shared
            shared = max(shared, memory.shared)
        self.peak_bytes = max(self.peak_bytes, private + shared)

    def usage(self, minus: float = 0.0) -> Usage:
        cpu = sum(self.last_cpu[pid] - self.start_cpu[pid] for pid in self.last_cpu)
        return Usage(self.name, cpu - minus, self.peak_bytes / MB, len(self.start_cpu))


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


class Sampler:
    """Samples in a thread of the bench process, whose CPU is taken out of the load generator's."""

    def __init__(self, groups: list[tuple[str, Finder]]) -> None:
        self._groups = [_Group(name, find) for name, find in groups]
        self._groups.append(_Group(LOAD_GENERATOR, lambda: [psutil.Process()]))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)
        self._own_cpu = 0.0
        self._machine = 0.0

    def start(self) -> None:
        self._machine = _machine_busy()
        for group in self._groups:
            group.refresh(first=True)
            group.sample()
        self._thread.start()

    def stop(self) -> Sample:
        self._stop.set()
        self._thread.join()
        for group in self._groups:
            group.sample()
        own = self._own_cpu
        usages = [g.usage(minus=own if g.name == LOAD_GENERATOR else 0.0) for g in self._groups]
        return Sample(usages, own, _machine_busy() - self._machine)

    def _run(self, interval: float = 0.1, refresh_every: int = 20) -> None:
        ticks = 0
        while not self._stop.wait(interval):
            ticks += 1
            for group in self._groups:
                if ticks % refresh_every == 0:  # finding processes costs far more than sampling them
                    group.refresh(first=False)
                group.sample()
        self._own_cpu = time.thread_time()  # read here: a thread's CPU is gone once it ends


def fixed(pids: list[int]) -> Finder:
    processes = [psutil.Process(pid) for pid in pids]
    return lambda: processes


def postgres(namespace: str) -> Finder:
    """The postmaster, its auxiliaries, and the backends of databases named with the bench's prefix."""
    postmaster = _find_root("postgres")
    if postmaster is None:
        return list

    def ours() -> list[psutil.Process]:
        children = postmaster.children()
        return [postmaster, *(c for c in children if _serves(c, namespace))]

    return ours


def rabbitmq() -> Finder:
    beam = _find_root("beam.smp")
    return (lambda: [beam]) if beam is not None else list


def _serves(backend: psutil.Process, namespace: str) -> bool:
    """Auxiliaries have no client address in their title; backends name their database second."""
    try:
        title = " ".join(backend.cmdline())
    except psutil.Error:
        return False
    words = title.split(": ", 2)[-1].split()
    is_backend = len(words) >= 3 and ("(" in words[2] or words[2] == "[local]")
    return not is_backend or words[1].startswith(namespace)


def _find_root(name: str) -> psutil.Process | None:
    """The server itself: a process of that name whose parent is not one too."""
    for process in psutil.process_iter(["name", "ppid"]):
        if process.info["name"] != name:
            continue
        try:
            if psutil.Process(process.info["ppid"]).name() != name:
                return process
        except psutil.Error:
            continue  # gone while we looked: a backend that ended, not the server
    return None
