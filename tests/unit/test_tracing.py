"""Tracing: off unless the OTEL_* variables ask for it, and each item of a message in its own trace."""

import asyncio
import contextvars
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aio_pika.abc import AbstractIncomingMessage
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id
from pydantic import ValidationError

from shared import json, tracing
from shared.batching import Batcher
from shared.contracts import Reply
from shared.messages import send_items
from shared.tracing import TracingSettings
from tests.spans import RecordingPublisher, recorded

pytestmark = pytest.mark.unit

OTEL_VARIABLES = [
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_SERVICE_NAME",
]


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in OTEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    with recorded() as exporter:
        yield exporter


@pytest.mark.parametrize(
    ("variables", "exporter"),
    [
        ({}, None),
        ({"OTEL_SERVICE_NAME": "orders"}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "otlp"),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, "otlp"),
        ({"OTEL_TRACES_EXPORTER": "console"}, "console"),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, None),
        ({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, None),
    ],
)
def test_only_the_standard_variables_that_name_an_exporter_turn_tracing_on(
    environment: pytest.MonkeyPatch, variables: dict[str, str], exporter: str | None
) -> None:
    for name, value in variables.items():
        environment.setenv(name, value)

    assert TracingSettings().exporter == exporter


def test_unset_it_sets_up_nothing_and_leaves_bodies_alone(environment: pytest.MonkeyPatch) -> None:
    assert tracing.configure("order_service") is False

    assert tracing.provider() is None
    assert tracing.current() is None
    assert tracing.stamp({"sagaId": "s"}) == {"sagaId": "s"}


@pytest.mark.parametrize(
    ("variable", "value"), [("OTEL_TRACES_EXPORTER", "zipkin"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]
)
def test_an_exporter_or_protocol_that_is_not_installed_is_refused_at_start(
    environment: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    environment.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    environment.setenv(variable, value)

    with pytest.raises(ValueError, match=f"{variable}='{value}'"):
        tracing.configure("order_service")
    assert tracing.provider() is None


def _parent_span(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    return next(span for span in exporter.get_finished_spans() if span.name == name)


async def test_each_item_of_a_message_is_sent_in_a_span_of_its_own_trace(
    exported: InMemorySpanExporter,
) -> None:
    provider = tracing.provider()
    assert provider is not None
    tracer = provider.get_tracer("test")
    items: list[dict[str, Any]] = []
    for saga in ("a", "b"):
        with tracer.start_as_current_span(f"decide {saga}"):
            items.append(tracing.stamp({"sagaId": saga}))
    publisher = RecordingPublisher()

    assert await send_items(publisher, "t.order.commands", items, ["id-a", "id-b"]) is None

    sent = json.loads(publisher.bodies[0])
    publishes = [s for s in exported.get_finished_spans() if s.kind == SpanKind.PRODUCER]
    assert len(publishes) == 2
    for item, publish in zip(sent, publishes, strict=True):
        decided = _parent_span(exported, f"decide {item['sagaId']}")
        assert publish.parent is not None and publish.parent.span_id == decided.context.span_id
        assert publish.context.trace_id == decided.context.trace_id
        span_id = format_span_id(publish.context.span_id)
        assert item["traceparent"].startswith(f"00-{format_trace_id(decided.context.trace_id)}-{span_id}-")
        assert publish.attributes is not None
        assert publish.attributes["messaging.batch.message_count"] == 2
    assert {publish.attributes["messaging.message.id"] for publish in publishes if publish.attributes} == {
        "id-a",
        "id-b",
    }


async def test_a_message_of_one_item_also_carries_its_traceparent_as_a_header(
    exported: InMemorySpanExporter,
) -> None:
    publisher = RecordingPublisher()
    items = [{"sagaId": "a"}, {"sagaId": "b"}]

    await send_items(publisher, "t.order.commands", items[:1], ["x"])
    await send_items(publisher, "t.order.commands", items, ["x", "y"])

    alone, together = publisher.headers
    assert alone == {"traceparent": json.loads(publisher.bodies[0])["traceparent"]}
    assert together is None


async def test_off_a_message_is_sent_as_it_was_given() -> None:
    publisher = RecordingPublisher()

    await send_items(publisher, "t.order.commands", [{"sagaId": "a"}, {"sagaId": "b"}], ["x", "y"])

    assert json.loads(publisher.bodies[0]) == [{"sagaId": "a"}, {"sagaId": "b"}]
    assert publisher.headers == [None]


def test_an_item_is_processed_in_the_trace_of_the_span_that_sent_it(exported: InMemorySpanExporter) -> None:
    sent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    delivered = SimpleNamespace(
        exchange="t.exchange.commands", routing_key="t.order.commands", delivery_tag=7
    )
    message = cast(AbstractIncomingMessage, delivered)

    with tracing.processing(message, sent, "id-a"), tracing.transaction([("tx", tracing.current())]):
        pass

    transaction, process = exported.get_finished_spans()
    assert process.kind == SpanKind.CONSUMER and process.name == "process t.order.commands"
    assert format_trace_id(process.context.trace_id) == "0af7651916cd43dd8448eb211c80319c"
    assert process.parent is not None and format_span_id(process.parent.span_id) == "b7ad6b7169203331"
    assert process.attributes == {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": "t.exchange.commands",
        "messaging.rabbitmq.destination.routing_key": "t.order.commands",
        "messaging.rabbitmq.message.delivery_tag": 7,
        "messaging.message.id": "id-a",
    }
    assert transaction.parent is not None and transaction.parent.span_id == process.context.span_id


CALLER: contextvars.ContextVar[str] = contextvars.ContextVar("caller", default="none")


async def test_a_batch_is_written_in_no_callers_context() -> None:
    seen: list[str] = []

    async def write(items: list[str]) -> list[str]:
        seen.append(CALLER.get())
        return items

    batcher: Batcher[str, str] = Batcher(write)

    async def submit(caller: str) -> str:
        CALLER.set(caller)
        return await batcher.submit(caller)

    assert list(await asyncio.gather(submit("first"), submit("second"))) == ["first", "second"]
    assert seen == ["none"]


@pytest.mark.parametrize("traceparent", ["", "00-xyz", "00-" + "a" * 32 + "-" + "b" * 16 + "-01\n"])
def test_an_item_whose_traceparent_is_not_w3c_is_refused(traceparent: str) -> None:
    reply = {"success": True, "sagaId": "5f0c3a52-8f8e-4a55-9d43-0d6f0a1bb1a4", "stepId": "createOrder"}

    with pytest.raises(ValidationError, match="traceparent"):
        Reply.model_validate({**reply, "traceparent": traceparent})


def test_a_contract_never_writes_the_traceparent_it_was_given() -> None:
    given = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"
    reply = Reply.model_validate(
        {
            "success": True,
            "sagaId": "5f0c3a52-8f8e-4a55-9d43-0d6f0a1bb1a4",
            "stepId": "x",
            "traceparent": given,
        }
    )

    assert reply.traceparent == given
    assert "traceparent" not in reply.model_dump(mode="json", by_alias=True)


@pytest.mark.parametrize(("service_name", "expected"), [(None, "order_service"), ("orders", "orders")])
def test_an_endpoint_sets_up_the_sdk_named_after_the_process_unless_otel_service_name_says(
    environment: pytest.MonkeyPatch, service_name: str | None, expected: str
) -> None:
    environment.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    if service_name:
        environment.setenv("OTEL_SERVICE_NAME", service_name)

    assert tracing.configure("order_service") is True
    try:
        provider = tracing.provider()
        assert provider is not None
        assert provider.resource.attributes["service.name"] == expected
        assert tracing.stamp({}) == {}  # no span is current: nothing to carry
    finally:
        tracing.shutdown()
        tracing.install(None)
