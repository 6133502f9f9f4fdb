"""Each process's /metrics counts what it did, the two replicas' counts add up to the sagas, and with
LOG_FORMAT=json every line of every process is one JSON object naming its saga, step and service."""

import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from ops import registry
from ops.broker_access import BrokerAccess
from ops.system import ORCHESTRATOR, System, free_ports, service_of
from saga_orchestrator import workflows
from shared import access
from shared.topology import command_queue
from tests.harness import SagaApi, order, running_system
from tests.infrastructure import Infrastructure
from tests.polling import eventually, random_ref
from tests.scraped import Scrape, scrape
from tests.senders import publish_as

pytestmark = pytest.mark.e2e

ENV = {
    "STEP_TIMEOUT_SECONDS": "10",  # long, so that no step times out and is sent again on a busy machine
    "COMPENSATION_MAX_ATTEMPTS": "2",
    "BACKOFF_BASE_SECONDS": "0.1",
    "DB_POOL_SIZE": "4",
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "json",
}
# Every releaseStock fails: the saga that needs one retries it once, then parks.
FAULTS = {"inventory-service": {"FAULT_FAIL_COMMANDS": "releaseStock"}}
COMPLETING = 6


@dataclass(frozen=True)
class Run:
    system: System
    started_through: dict[str, str]  # the replica each saga was started through, by order id
    statuses: dict[str, str]  # by order id

    @property
    def started_by(self) -> Counter[str]:
        """Sagas started through each replica."""
        return Counter(self.started_through.values())


@pytest.fixture(scope="module")
async def run(
    infra: Infrastructure, broker: BrokerAccess, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Run]:
    """Two replicas take turns starting sagas: some complete, one is declined at payment, one finds no
    stock, one fails at shipping and parks when its stock cannot be released."""
    log_dir = tmp_path_factory.mktemp("metrics-logs")
    overrides: dict[str, Any] = {"orchestrators": 2, "metrics_port": free_ports(len(registry.workers()))}
    async with running_system(
        infra, broker, f"{run_id}_metrics_", log_dir, env=ENV, service_env=FAULTS, **overrides
    ) as system:
        replicas = [service for service in system.config.services if service.startswith(ORCHESTRATOR)]
        bodies = [order(random_ref("done")) for _ in range(COMPLETING)]
        bodies += [
            order(random_ref("declined"), amount=20000),
            order(random_ref("nostock"), product="item-003"),
            order(random_ref("parked"), quantity=20),
        ]
        started_through: dict[str, str] = {}
        statuses = {}
        for i, body in enumerate(bodies):
            replica = replicas[i % len(replicas)]
            async with SagaApi(system.url(replica)) as api:
                assert (await api.start(body)).status_code == 202
                started_through[body["orderId"]] = replica
                statuses[body["orderId"]] = (await api.finished_or_parked(body["orderId"]))["status"]
        yield Run(system, started_through, statuses)


async def _orchestrators(system: System) -> list[Scrape]:
    return [
        await scrape(system.config.metrics_url(service))
        for service in system.config.services
        if service.startswith(ORCHESTRATOR)
    ]


async def test_the_replicas_counts_add_up_to_the_sagas_and_their_outcomes(run: Run) -> None:
    assert sorted(run.statuses.values()) == sorted(
        ["COMPLETED"] * COMPLETING + ["FAILED", "FAILED", "COMPENSATION_FAILED"]
    )
    per_replica = {
        service: await scrape(run.system.config.metrics_url(service)) for service in run.started_by
    }
    for service, scraped in per_replica.items():
        assert scraped.total("saga_started_total", workflow="order") == run.started_by[service]
    both = sum(per_replica.values(), Scrape([]))
    assert both.total("saga_started_total") == len(run.statuses)
    assert both.total("saga_finished_total", status="COMPLETED") == COMPLETING
    assert both.total("saga_finished_total", status="FAILED") == 2
    assert both.total("saga_finished_total") == COMPLETING + 2  # a parked saga has not finished
    assert both.total("saga_duration_seconds_count", status="COMPLETED") == COMPLETING
    assert both.total("saga_duration_seconds_count", status="FAILED") == 2
    assert both.total("process_resident_memory_bytes") > 0


async def test_each_saga_s_history_names_the_replicas_that_handled_it(run: Run) -> None:
    replicas = set(run.started_through.values())
    for order_id, replica in run.started_through.items():
        async with SagaApi(run.system.url(replica)) as api:
            events = await api.history(order_id)
        assert events[0]["replica"] == replica, "its start was written by the replica it was started through"
        assert {event["replica"] for event in events} <= replicas


async def test_step_latencies_and_retries_count_each_command_s_end_once(run: Run) -> None:
    both = sum(await _orchestrators(run.system), Scrape([]))

    def steps(**labels: str) -> float:
        return both.total("saga_step_duration_seconds_count", workflow="order", **labels)

    # Forward: six sagas run all four steps; the others one (declined), two (no stock), three.
    assert steps(kind="forward", outcome="success") == COMPLETING * 4 + 1 + 2 + 3
    assert steps(step="processPayment", kind="forward", outcome="failure") == 1
    assert steps(step="reserveStock", kind="forward", outcome="failure") == 1
    assert steps(step="createShipment", kind="forward", outcome="failure") == 1
    # Compensations: cancelOrder for the declined one; cancelPayment and cancelOrder for the one
    # with no stock; releaseStock twice, failing, for the one that parked.
    assert steps(kind="compensation", outcome="success") == 3
    assert steps(step="reserveStock", kind="compensation", outcome="failure") == 2
    assert steps(outcome="timeout") == 0
    assert (
        both.total("saga_step_retries_total")
        == both.total("saga_step_retries_total", step="reserveStock")
        == 1
    )


async def test_the_database_s_gauges_are_the_same_on_every_replica(run: Run) -> None:
    for scraped in await _orchestrators(run.system):
        assert scraped.total("saga_in_flight", workflow="order", phase="parked") == 1
        assert scraped.total("saga_in_flight", phase="forward") == 0
        assert scraped.total("saga_in_flight", phase="compensating") == 0
    # Published rows leave the outbox in batches, soon after.
    url = run.system.config.metrics_url(ORCHESTRATOR)
    drained = await eventually(lambda: scrape(url), lambda s: s.total("saga_outbox_pending") == 0)
    assert drained.total("saga_outbox_oldest_age_seconds") == 0


async def test_each_service_counts_the_commands_it_answered(run: Run) -> None:
    config = run.system.config

    async def service(name: str) -> Scrape:
        return await scrape(config.metrics_url(f"{name}-service"))

    # The order workflow's services, which are the ones its sagas reached.
    services = workflows.WORKFLOWS["order"].services
    order_service, payment, inventory, shipping = [await service(s) for s in services]
    sagas = len(run.statuses)
    assert order_service.total("saga_commands_total", command="createOrder", outcome="success") == sagas
    assert order_service.total("saga_commands_total", command="cancelOrder", outcome="success") == 2
    assert payment.total("saga_commands_total", command="processPayment", outcome="success") == sagas - 1
    assert payment.total("saga_commands_total", command="processPayment", outcome="failure") == 1
    assert inventory.total("saga_commands_total", command="reserveStock", outcome="failure") == 1
    assert inventory.total("saga_commands_total", command="releaseStock", outcome="failure") == 2
    assert shipping.total("saga_commands_total", command="createShipment", outcome="failure") == 1
    for scraped, name in zip((order_service, payment, inventory, shipping), services, strict=True):
        assert scraped.total("saga_commands_total") == scraped.total("saga_commands_total", service=name), (
            "each service labels its own"
        )
        assert scraped.total("saga_command_handle_seconds_count") == scraped.total("saga_commands_total")
        assert scraped.total("saga_inbox_duplicates_total") == 0
        assert scraped.total("process_resident_memory_bytes") > 0


async def test_a_dead_lettered_message_is_counted_by_its_queue_and_the_kind_of_reason(run: Run) -> None:
    system = run.system
    url = system.config.metrics_url("order-service")
    queue = command_queue("order", system.config.queue_prefix)
    before = (await scrape(url)).total("saga_dead_letters_total")

    await publish_as(system, access.ORCHESTRATOR, queue, b"not json")

    after = await eventually(lambda: scrape(url), lambda s: s.total("saga_dead_letters_total") > before)
    # The queue without the namespace, the reason without the values it quotes.
    assert after.total("saga_dead_letters_total", queue=command_queue("order", "")) == before + 1
    assert after.total("saga_dead_letters_total", reason="invalid json") == 1


def _lines(system: System, service: str) -> list[dict[str, Any]]:
    text = system.log_path(service).read_text()
    return [json.loads(line) for line in text.splitlines() if line]


async def test_with_log_format_json_every_line_is_an_object_naming_saga_step_and_service(run: Run) -> None:
    system = run.system
    order_id = next(key for key, status in run.statuses.items() if status == "COMPLETED")
    async with SagaApi(system.url()) as api:
        saga_id = (await api.status(order_id))["sagaId"]
    for service in system.config.services:
        lines = _lines(system, service)
        assert lines, service
        assert {"level", "service", "message", "sagaId", "step", "traceId"} <= set().union(*lines)
        assert {line["service"] for line in lines} == {service_of(service)}
        assert {line["traceId"] for line in lines} == {""}, "no tracing configured"
    orchestrated = [
        line for s in system.config.services if s.startswith(ORCHESTRATOR) for line in _lines(system, s)
    ]
    ours = [line for line in orchestrated if line["sagaId"] == saga_id]
    assert {line["orderId"] for line in ours} == {order_id}
    assert {"createOrder", "createShipment"} <= {line["step"] for line in ours}
    assert {line["level"] for line in ours} == {"INFO"}
    shipped = [line for line in _lines(system, "shipping-service") if line["sagaId"] == saga_id]
    assert [line["step"] for line in shipped] == ["createShipment"]
