"""Prometheus metrics every process exports, and the small listener that serves a worker's.

Each is a counter or histogram of what this process did, so that across processes and replicas
Prometheus adds them up (`sum by (...)`): an event is counted once, by the process that saw it.
The process metrics (CPU, memory, open files, GC) come with prometheus-client's default registry.
"""

import re
from threading import Thread
from typing import Generic, TypeVar
from wsgiref.simple_server import WSGIServer

from prometheus_client import Counter, Histogram, start_http_server
from prometheus_client.metrics import MetricWrapperBase

M = TypeVar("M", bound=MetricWrapperBase)


class Children(Generic[M]):
    """A labelled metric's children by their label values, from a plain dict: on the hot path,
    `labels()` costs a lock and a check of every value each time."""

    def __init__(self, metric: M) -> None:
        self._metric = metric
        self._children: dict[tuple[str, ...], M] = {}

    def __call__(self, *values: str) -> M:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self._metric.labels(*values)
        return child


# Short work, from a lone indexed write to a batch behind a commit: milliseconds to seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

DEAD_LETTERS = Counter(
    "saga_dead_letters", "Messages and items dead-lettered by this process", ["queue", "reason"]
)
COMMANDS = Counter(
    "saga_commands", "Commands a service took, by what became of them", ["service", "command", "outcome"]
)
INBOX_DUPLICATES = Counter(
    "saga_inbox_duplicates",
    "Commands the inbox had answered before: the stored reply, no effect",
    ["service"],
)
COMMAND_HANDLE_SECONDS = Histogram(
    "saga_command_handle_seconds",
    "From a command's decoding to its reply's confirm (or its refusal)",
    ["service", "command"],
    buckets=LATENCY_BUCKETS,
)

# What a service did with a command: answered (`success` or `failure`, a rule's refusal), refused
# unseen past its deadline (`expired`), dead-lettered (`rejected`), or put back (`requeued`).
SUCCESS, FAILURE, EXPIRED, REJECTED, REQUEUED = "success", "failure", "expired", "rejected", "requeued"


class CommandCounts:
    """One service's count of each command by what became of it, and its handling time: each pair
    of children bound on first use, so that a command costs one lookup, an increment and an
    observation."""

    def __init__(self, service: str) -> None:
        self._service = service
        self._bound: dict[tuple[str, str], tuple[Counter, Histogram]] = {}

    def count(self, command: str, outcome: str, seconds: float) -> None:
        bound = self._bound.get((command, outcome))
        if bound is None:
            bound = self._bound[command, outcome] = (
                COMMANDS.labels(self._service, command, outcome),
                COMMAND_HANDLE_SECONDS.labels(self._service, command),
            )
        counted, timed = bound
        counted.inc()
        timed.observe(seconds)

    def invalid(self) -> None:
        """A command that is not one: no name to count it by, nor a handling to time."""
        COMMANDS.labels(self._service, "invalid", REJECTED).inc()


_REASON = re.compile(r"[a-z][a-z ]*[a-z]")
REASON_LENGTH = 40


def reason_label(reason: str) -> str:
    """The kind of a dead-letter reason, without the ids and values it quotes: its first words.

    A label takes few values or Prometheus suffers; the reasons are the code's own phrases ("unknown
    command 'X'", "command sent by 'u'", "1 validation error for ...")."""
    words = _REASON.search(reason.lower())
    return words.group()[:REASON_LENGTH].strip() if words else "other"


def count_dead_letter(queue: str, reason: str) -> None:
    DEAD_LETTERS.labels(queue, reason_label(reason)).inc()


class Listener:
    """`/metrics` over HTTP on a thread of its own: a scrape never waits for the event loop."""

    def __init__(self, host: str, port: int) -> None:
        server: WSGIServer
        thread: Thread
        server, thread = start_http_server(port, addr=host)
        self._server, self._thread = server, thread
        self.port: int = server.server_port

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
