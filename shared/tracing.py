"""One trace per saga, with OpenTelemetry: configured by the standard OTEL_* variables, and off when
none of them names an exporter, at the cost of one check per message.

A message may carry several sagas' items, so the context crosses the broker in each item, as its
W3C `traceparent`: the context it was decided in until it is sent, then that of the span that sent
it. A command's context is so stored in its outbox row, and a relayed command keeps its trace.
"""

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from aio_pika.abc import AbstractIncomingMessage
from opentelemetry import trace
from opentelemetry.context import Context, get_current
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.topology import exchange_for

TRACEPARENT = "traceparent"
# A W3C traceparent: version, trace id, parent span id, flags.
TRACEPARENT_PATTERN = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"

_PROPAGATOR = TraceContextTextMapPropagator()
_RABBITMQ = {"messaging.system": "rabbitmq"}

# While off, every traced block is this: one check and no object made per message.
_OFF = nullcontext()
# None while tracing is off: the one check every traced path makes.
_tracer: Tracer | None = None
_provider: TracerProvider | None = None


class TracingSettings(BaseSettings):
    """The standard variables that turn tracing on; the SDK reads the rest (OTEL_BSP_*, headers...)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_prefix="OTEL_")

    sdk_disabled: bool = False
    traces_exporter: str = ""  # otlp or console; unset, otlp if an endpoint is named
    exporter_otlp_endpoint: str = ""
    exporter_otlp_traces_endpoint: str = ""
    exporter_otlp_protocol: str = ""  # only http/protobuf is installed
    service_name: str = ""

    @property
    def exporter(self) -> str | None:
        """The exporter asked for, or None: tracing stays off."""
        endpoint = self.exporter_otlp_endpoint or self.exporter_otlp_traces_endpoint
        name = self.traces_exporter.strip().lower() or ("otlp" if endpoint else "none")
        return None if self.sdk_disabled or name == "none" else name


def configure(process: str, settings: TracingSettings | None = None) -> bool:
    """Sets up the SDK if the environment asks for tracing; whether it did. `process` is the
    service name unless OTEL_SERVICE_NAME gives one."""
    settings = settings or TracingSettings()
    if settings.exporter is None:
        return False
    # Resource.create reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; ours only fills a gap.
    resource = Resource.create({} if settings.service_name else {SERVICE_NAME: process})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(
        BatchSpanProcessor(_exporter(settings.exporter, settings.exporter_otlp_protocol))
    )
    install(provider)
    return True


def _exporter(name: str, protocol: str) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    if name != "otlp":
        raise ValueError(f"OTEL_TRACES_EXPORTER={name!r}: only otlp, console and none are supported")
    if protocol not in ("", "http/protobuf"):
        raise ValueError(f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r}: only http/protobuf is supported")
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

    return OTLPSpanExporter()  # endpoint, headers, timeout: from OTEL_EXPORTER_OTLP_*


def install(provider: TracerProvider | None) -> None:
    """Traces into `provider` from now on; None turns tracing off."""
    global _tracer, _provider  # noqa: PLW0603
    _provider = provider
    _tracer = None if provider is None else provider.get_tracer("saga")


def provider() -> TracerProvider | None:
    return _provider


def shutdown() -> None:
    """Exports what is left; the process is ending."""
    if _provider is not None:
        _provider.shutdown()


def current() -> Context | None:
    """The caller's context, for work done later on its behalf (a batch); None while off."""
    return None if _tracer is None else get_current()


def stamp(body: dict[str, Any]) -> dict[str, Any]:
    """Writes the current context into a message body, whose send becomes its child."""
    if _tracer is not None:
        carrier: dict[str, str] = {}
        _PROPAGATOR.inject(carrier)
        if TRACEPARENT in carrier:
            body[TRACEPARENT] = carrier[TRACEPARENT]
    return body


def traceparent() -> str | None:
    """The current context as a W3C traceparent, to be stored; None while off."""
    return stamp({}).get(TRACEPARENT) if _tracer is not None else None


def resumed(traceparent: str | None, name: str, attributes: dict[str, str]) -> AbstractContextManager[object]:
    """Work done later in a stored trace: a span there, current within the block."""
    if _tracer is None:
        return _OFF
    return _tracer.start_as_current_span(name, _parent(traceparent), attributes=attributes)


def _parent(traceparent: str | None) -> Context:
    return _PROPAGATOR.extract({TRACEPARENT: traceparent} if traceparent else {})


def _traceparent(span: Span) -> str:
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, trace.set_span_in_context(span))
    return carrier[TRACEPARENT]


def publishing(
    prefix: str, queue: str, items: list[Any], ids: Sequence[str]
) -> AbstractContextManager[list[Any]]:
    """A producer span for each item sent to `queue` (with the queues of namespace `prefix`),
    child of the context the item carries; yields the items, each carrying its span's context
    instead. An exception marks them all failed."""
    return nullcontext(items) if _tracer is None else _publishing(_tracer, prefix, queue, items, ids)


@contextmanager
def _publishing(
    tracer: Tracer, prefix: str, queue: str, items: list[Any], ids: Sequence[str]
) -> Iterator[list[Any]]:
    attributes: dict[str, str | int] = {
        **_RABBITMQ,
        "messaging.operation.type": "send",
        "messaging.operation.name": "publish",
        "messaging.destination.name": exchange_for(queue, prefix),
        "messaging.rabbitmq.destination.routing_key": queue,
    }
    if len(items) > 1:
        attributes["messaging.batch.message_count"] = len(items)
    spans = [
        tracer.start_span(
            f"publish {queue}", _parent(_carried(item)), SpanKind.PRODUCER, attributes=attributes
        )
        for item in items
    ]
    for span, message_id in zip(spans, ids, strict=False):
        span.set_attribute("messaging.message.id", message_id)
    try:
        yield [
            {**item, TRACEPARENT: _traceparent(span)} if isinstance(item, dict) else item
            for item, span in zip(items, spans, strict=True)
        ]
    except Exception as exc:
        _failed(spans, exc)
        raise
    finally:
        for span in spans:
            span.end()


def message_headers(items: list[Any]) -> dict[str, str] | None:
    """The `traceparent` header of a message that carries one item, as other tools expect it; one
    that carries several has none: each item carries its own."""
    if len(items) == 1 and (carried := _carried(items[0])):
        return {TRACEPARENT: carried}
    return None


def _carried(item: Any) -> str | None:
    return item.get(TRACEPARENT) if isinstance(item, dict) else None


def processing(
    message: AbstractIncomingMessage, traceparent: str | None, message_id: object | None
) -> AbstractContextManager[object]:
    """The consumer span of one item of `message`, child of the span that sent the item; the
    current span within the block. `message_id` is made text only when traced: with tracing off,
    this costs a check."""
    if _tracer is None:
        return _OFF
    attributes: dict[str, str | int] = {
        **_RABBITMQ,
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": message.exchange or "",
        "messaging.rabbitmq.destination.routing_key": message.routing_key or "",
    }
    if message.delivery_tag is not None:
        attributes["messaging.rabbitmq.message.delivery_tag"] = message.delivery_tag
    if message_id is not None:
        attributes["messaging.message.id"] = str(message_id)
    name = f"process {message.routing_key}"
    return _tracer.start_as_current_span(name, _parent(traceparent), SpanKind.CONSUMER, attributes=attributes)


def transaction(works: Sequence[tuple[str, Context | None]]) -> AbstractContextManager[object]:
    """One database transaction that does several callers' work: a client span for each, named
    after its work and in its caller's context, so that it shows in every saga's trace it served."""
    return _OFF if _tracer is None else _transaction(_tracer, works)


@contextmanager
def _transaction(tracer: Tracer, works: Sequence[tuple[str, Context | None]]) -> Iterator[None]:
    attributes: dict[str, str | int] = {"db.system.name": "postgresql"}
    if len(works) > 1:
        attributes["db.operation.batch.size"] = len(works)
    spans = [
        tracer.start_span(name, context, SpanKind.CLIENT, attributes=attributes) for name, context in works
    ]
    try:
        yield
    except Exception as exc:
        _failed(spans, exc)
        raise
    finally:
        for span in spans:
            span.end()


def _failed(spans: Sequence[Span], exc: BaseException) -> None:
    for span in spans:
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
