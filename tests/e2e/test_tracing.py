"""One trace per saga: the five processes export their spans over OTLP/HTTP to a receiver in the
test, and a saga's spans form one chain from its HTTP start through every command and reply."""

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

import pytest

from ops.broker_access import BrokerAccess
from shared.contracts import command_message_id
from tests.harness import SagaApi, order, running_system
from tests.infrastructure import Infrastructure
from tests.polling import eventually, random_ref
from tests.trace_receiver import ReceivedSpan, Spans, receiving

pytestmark = pytest.mark.e2e

ORCHESTRATOR = "saga_orchestrator"
SERVICES = {"order_service", "payment_service", "inventory_service", "shipping_service"}
SERVER, CLIENT, PRODUCER, CONSUMER = 2, 3, 4, 5


@dataclass(frozen=True)
class Traced:
    api: SagaApi
    spans: Spans


@pytest.fixture(scope="module")
async def traced(
    infra: Infrastructure, broker: BrokerAccess, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Traced]:
    log_dir = tmp_path_factory.mktemp("tracing-logs")
    with receiving() as (endpoint, spans):
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "100",  # milliseconds: spans reach the test soon
            "DB_POOL_SIZE": "4",
        }
        async with (
            running_system(infra, broker, f"{run_id}_trace_", log_dir, env=env) as system,
            SagaApi(system.url()) as api,
        ):
            yield Traced(api, spans)


class Chain:
    """A saga's trace read as the chain its causes make: the start, then for each command its
    publish, its processing in the service with the transaction and the reply's publish, and the
    reply's processing in the orchestrator, which publishes the next command."""

    def __init__(self, trace: list[ReceivedSpan]) -> None:
        self.trace = trace
        self.children: defaultdict[str, list[ReceivedSpan]] = defaultdict(list)
        for span in trace:
            self.children[span.parent_id].append(span)
        self.commands: list[str] = []
        self.services: set[str] = set()
        self.visited: list[ReceivedSpan] = []
        roots = self.children[""]
        if len(roots) == 1:
            self._walk(roots[0])

    def __repr__(self) -> str:
        spans = [(s.service, s.name, s.span_id, s.parent_id) for s in self.trace]
        return f"Chain(commands={self.commands}, spans={spans})"

    def _walk(self, node: ReceivedSpan) -> None:
        self.visited.append(node)
        while publish := self._only(node, PRODUCER, ORCHESTRATOR):
            process = self._only(publish, CONSUMER)
            transaction = process and self._only(process, CLIENT, process.service)
            reply = process and self._only(process, PRODUCER, process.service)
            node_next = reply and self._only(reply, CONSUMER, ORCHESTRATOR)
            if not (process and transaction and reply and node_next):
                return
            self.visited += [publish, process, transaction, reply, node_next]
            self.commands.append(transaction.name.removeprefix("transaction "))
            self.services.add(process.service)
            node = node_next

    def _only(self, parent: ReceivedSpan, kind: int, service: str | None = None) -> ReceivedSpan | None:
        found = [
            span
            for span in self.children[parent.span_id]
            if span.kind == kind and (service is None or span.service == service)
        ]
        return found[0] if len(found) == 1 else None


def _trace_of(spans: Spans, saga_id: str) -> list[ReceivedSpan]:
    """The spans of the trace in which the saga's first command was processed."""
    first = str(command_message_id(UUID(saga_id), "createOrder"))
    processed = [
        span
        for span in spans.all()
        if span.kind == CONSUMER and span.attributes.get("messaging.message.id") == first
    ]
    return spans.of_trace(processed[0].trace_id) if processed else []


async def _chain(traced: Traced, saga_id: str, commands: list[str]) -> Chain:
    async def probe() -> Chain:
        return Chain(_trace_of(traced.spans, saga_id))

    return await eventually(probe, lambda chain: chain.commands == commands, timeout=20)


async def _run(traced: Traced, body: dict[str, object]) -> tuple[str, str, list[str]]:
    started = await traced.api.start(body)
    status = await traced.api.finished(str(body["orderId"]))
    return started.json()["sagaId"], status["status"], await traced.api.commands(str(body["orderId"]))


def _assert_causal(chain: Chain) -> None:
    by_id = {span.span_id: span for span in chain.trace}
    for span in chain.trace:
        if span.parent_id:
            assert span.start_ns >= by_id[span.parent_id].start_ns, (span.name, by_id[span.parent_id].name)


async def test_a_compensated_saga_is_one_trace_through_the_five_processes_in_causal_order(
    traced: Traced,
) -> None:
    saga_id, outcome, commands = await _run(traced, order(random_ref("order"), quantity=20))
    assert outcome == "FAILED"
    assert commands[-3:] == ["releaseStock", "cancelPayment", "cancelOrder"]

    chain = await _chain(traced, saga_id, commands)

    root = chain.visited[0]
    assert (root.service, root.kind, root.name) == (ORCHESTRATOR, SERVER, "POST /saga/start")
    assert chain.services == SERVICES
    assert {span.service for span in chain.trace} == {ORCHESTRATOR, *SERVICES}
    assert sorted(s.span_id for s in chain.visited) == sorted(s.span_id for s in chain.trace)
    _assert_causal(chain)


async def test_spans_follow_the_messaging_conventions_for_rabbitmq(traced: Traced) -> None:
    saga_id, _, commands = await _run(traced, order(random_ref("order")))

    chain = await _chain(traced, saga_id, commands)

    messaging = [span for span in chain.trace if span.kind in (PRODUCER, CONSUMER)]
    assert all(span.attributes["messaging.system"] == "rabbitmq" for span in messaging)
    publishes = [span for span in messaging if span.kind == PRODUCER]
    assert {span.attributes["messaging.operation.type"] for span in publishes} == {"send"}
    assert all(span.name == f"publish {_key(span)}" for span in publishes)
    assert all(span.attributes["messaging.destination.name"] for span in publishes)
    processes = [span for span in messaging if span.kind == CONSUMER]
    assert {span.attributes["messaging.operation.type"] for span in processes} == {"process"}
    assert all(span.name.startswith("process ") for span in processes)


def _key(span: ReceivedSpan) -> str:
    return str(span.attributes["messaging.rabbitmq.destination.routing_key"])


async def test_sagas_that_travel_together_keep_each_its_own_trace(traced: Traced) -> None:
    bodies = [order(random_ref("order"), quantity=20 if i % 3 == 0 else 1) for i in range(24)]

    runs = await asyncio.gather(*(_run(traced, body) for body in bodies))

    chains = [await _chain(traced, saga_id, commands) for saga_id, _, commands in runs]
    traces = [{span.trace_id for span in chain.trace} for chain in chains]
    assert all(len(ids) == 1 for ids in traces)
    assert len(set().union(*traces)) == len(runs)
    for chain in chains:
        assert sorted(s.span_id for s in chain.visited) == sorted(s.span_id for s in chain.trace)
