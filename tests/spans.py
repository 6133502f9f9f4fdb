"""Spans recorded in memory while a test runs: tracing on in this process, off again afterwards."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared import tracing
from shared.broker import Publisher


@contextmanager
def recorded() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        yield exporter
    finally:
        tracing.install(None)


class RecordingPublisher(Publisher):
    """Keeps what it is given to publish, instead of publishing it."""

    def __init__(self, prefix: str = "t.") -> None:
        super().__init__(cast(Any, None), prefix=prefix)
        self.bodies: list[bytes] = []
        self.headers: list[Mapping[str, Any] | None] = []

    async def publish(
        self, queue: str, body: bytes, *, headers: Mapping[str, Any] | None = None, **_: Any
    ) -> None:
        self.bodies.append(body)
        self.headers.append(headers)
