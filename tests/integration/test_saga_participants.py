"""What every saga participant guarantees, checked on each service over the real broker; those about
compensations, on each service that has one."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from ops.broker_access import BrokerAccess
from shared import json
from shared.access import ADMIN
from shared.topology import command_queue
from tests.integration.harness import Participant, command
from tests.integration.services import COMPENSATED, SERVICES, ServiceSpec, State
from tests.polling import random_ref

pytestmark = pytest.mark.integration


@pytest.fixture(params=SERVICES, ids=lambda spec: spec.service)
def spec(request: pytest.FixtureRequest) -> ServiceSpec:
    return request.param  # type: ignore[no-any-return]


def statuses(state: State) -> list[str]:
    return [row["status"] for row in state["rows"]]


async def test_a_command_gets_a_reply_in_the_seed_shape(participant: Participant, spec: ServiceSpec) -> None:
    payload = await participant.arrange(random_ref("o"))
    message = command(spec.forward, payload)

    reply = await participant.call(message)

    assert set(reply) == {"success", "sagaId", "stepId", "result", "error", "code", "correlationId"}
    assert reply["correlationId"] == message.correlation_id
    assert reply["success"] is True
    assert reply["sagaId"] == str(message.saga_id)
    assert reply["stepId"] == message.step_id
    assert reply["error"] is None and reply["code"] is None
    assert set(reply["result"]) == spec.result_keys
    assert reply["result"]["status"] == spec.done
    assert statuses(await participant.state(message.saga_id, payload)) == [spec.done]


async def test_a_redelivered_command_is_answered_alike_and_applied_once(
    participant: Participant, spec: ServiceSpec
) -> None:
    payload = await participant.arrange(random_ref("o"))
    before = await participant.state(uuid4(), payload)
    message = command(spec.forward, payload)

    await participant.bus.send(spec.service, message)
    await participant.bus.send(spec.service, message)
    first, second = await participant.bus.replies_to(str(message.message_id), count=2)

    assert first == second
    assert first["success"] is True
    state = await participant.state(message.saga_id, payload)
    assert statuses(state) == [spec.done]
    if spec.tracks_stock:
        assert state["stock"] == before["stock"] - payload["quantity"]


@pytest.mark.parametrize("spec", COMPENSATED, ids=lambda spec: spec.service)
async def test_a_compensation_that_comes_first_leaves_a_marker_the_late_command_respects(
    participant: Participant, spec: ServiceSpec
) -> None:
    assert spec.compensation is not None
    payload = await participant.arrange(random_ref("o"))
    saga_id = uuid4()
    before = await participant.state(saga_id, payload)

    compensated = await participant.call(command(spec.compensation, payload, saga_id=saga_id))
    marked = await participant.state(saga_id, payload)
    late = await participant.call(command(spec.forward, payload, saga_id=saga_id))

    assert compensated["success"] is True
    assert compensated["result"]["status"] == spec.marker
    assert statuses(marked) == [spec.marker]
    assert (late["success"], late["code"], late["error"]) == (False, "already_compensated", spec.refusal)
    assert await participant.state(saga_id, payload) == marked
    assert marked.get("stock") == before.get("stock")


@pytest.mark.parametrize("spec", COMPENSATED, ids=lambda spec: spec.service)
async def test_a_compensation_applied_twice_has_the_effect_of_one(
    participant: Participant, spec: ServiceSpec
) -> None:
    assert spec.compensation is not None
    payload = await participant.arrange(random_ref("o"))
    saga_id = uuid4()
    before = await participant.state(saga_id, payload)
    await participant.call(command(spec.forward, payload, saga_id=saga_id))

    # A new step id makes a new message id: the business state, not the inbox, must absorb it.
    first = await participant.call(command(spec.compensation, payload, saga_id=saga_id))
    once = await participant.state(saga_id, payload)
    second = await participant.call(command(spec.compensation, payload, saga_id=saga_id, step_id="again"))

    assert first["success"] is second["success"] is True
    assert first["result"] == second["result"]
    assert statuses(once) == [spec.undone]
    assert await participant.state(saga_id, payload) == once
    assert once.get("stock") == before.get("stock")


async def test_a_command_past_its_deadline_gets_no_reply_and_has_no_effect(
    participant: Participant, spec: ServiceSpec
) -> None:
    payload = await participant.arrange(random_ref("o"))
    expired = command(spec.forward, payload, deadline=datetime.now(UTC) - timedelta(seconds=1))
    before = await participant.state(expired.saga_id, payload)
    await participant.bus.send(spec.service, expired)

    # With one message in flight at a time, this reply means the expired command was handled.
    await participant.call(command(spec.forward, await participant.arrange(random_ref("o"))))

    assert participant.bus.replies_so_far(str(expired.message_id)) == []
    assert await participant.state(expired.saga_id, payload) == before
    assert not await participant.inbox_has(expired)


# Each kind of poison: how it spoils a valid command body, and what its x-reason must mention.
POISON: dict[str, tuple[Callable[[dict[str, Any]], bytes | dict[str, Any]], str]] = {
    "not JSON": (lambda valid: b"{not json", "Invalid JSON"),
    "wrong envelope": (lambda valid: {**valid, "sagaId": "not-a-uuid"}, "sagaId"),
    "naive deadline": (lambda valid: {**valid, "deadline": "2999-01-01T00:00:00"}, "deadline"),
    "wrong payload": (lambda valid: {**valid, "payload": {"orderId": "x"}}, "Field required"),
    "unknown command": (lambda valid: {**valid, "command": "explode"}, "unknown command"),
}


@pytest.mark.parametrize("kind", POISON)
async def test_a_poison_message_is_dead_lettered_and_the_worker_goes_on(
    participant: Participant, spec: ServiceSpec, kind: str
) -> None:
    payload = await participant.arrange(random_ref("o"))
    valid = command(spec.forward, payload).model_dump(mode="json", by_alias=True)
    spoil, reason = POISON[kind]
    poison = spoil(valid)
    body = poison if isinstance(poison, bytes) else json.dumps(poison)
    message_id = str(uuid4())

    await participant.bus.send_raw(spec.service, body, message_id)
    dead = await participant.bus.dead_letter(message_id)

    assert dead.body == body
    assert reason in str(dead.headers["x-reason"])
    assert dead.headers["x-original-queue"] == command_queue(spec.service, participant.bus.prefix)
    assert participant.bus.replies_so_far(message_id) == []
    after = await participant.call(command(spec.forward, await participant.arrange(random_ref("o"))))
    assert after["success"] is True


async def test_a_command_from_anyone_but_the_orchestrator_is_dead_lettered_unapplied(
    participant: Participant, spec: ServiceSpec, broker: BrokerAccess
) -> None:
    payload = await participant.arrange(random_ref("o"))
    message = command(spec.forward, payload)
    before = await participant.state(message.saga_id, payload)
    body = message.model_dump_json(by_alias=True).encode()

    # The administrator may publish commands; only the orchestrator may give them.
    await participant.bus.send_raw(spec.service, body, str(message.message_id), sender_url=broker.admin_url)
    dead = await participant.bus.dead_letter(str(message.message_id))

    assert f"sent by '{broker.user(ADMIN)}', not by the orchestrator" in str(dead.headers["x-reason"])
    assert dead.body == body
    assert await participant.state(message.saga_id, payload) == before
    assert not await participant.inbox_has(message)
    assert participant.bus.replies_so_far(str(message.message_id)) == []
    retried = await participant.call(message)  # the same command from the orchestrator runs
    assert retried["success"] is True


async def test_a_message_id_not_of_the_saga_and_step_it_claims_is_dead_lettered(
    participant: Participant, spec: ServiceSpec
) -> None:
    payload = await participant.arrange(random_ref("o"))
    valid = command(spec.forward, payload)
    # The id of another saga's step: were it taken, that saga's command would get this one's reply.
    claimed = valid.model_copy(update={"message_id": command(spec.forward, payload).message_id})
    before = await participant.state(valid.saga_id, payload)

    await participant.bus.send(spec.service, claimed)
    dead = await participant.bus.dead_letter(str(claimed.message_id))

    assert f"is not that of saga {valid.saga_id} step {valid.step_id}" in str(dead.headers["x-reason"])
    assert await participant.state(valid.saga_id, payload) == before
    assert not await participant.inbox_has(claimed)
    assert participant.bus.replies_so_far(str(claimed.message_id)) == []


async def test_a_message_id_taken_before_with_other_content_is_dead_lettered(
    participant: Participant, spec: ServiceSpec
) -> None:
    payload = await participant.arrange(random_ref("o"))
    first = command(spec.forward, payload)
    await participant.call(first)
    after_first = await participant.state(first.saga_id, payload)
    other = first.model_copy(update={"payload": {**payload, "orderId": random_ref("other")}})

    await participant.bus.send(spec.service, other)
    dead = await participant.bus.dead_letter(str(other.message_id))

    assert "was taken before with other content" in str(dead.headers["x-reason"])
    assert await participant.state(first.saga_id, payload) == after_first
    assert len(participant.bus.replies_so_far(str(first.message_id))) == 1
    await participant.bus.send(spec.service, first.model_copy(update={"correlation_id": "2.again"}))
    again = (await participant.bus.replies_to(str(first.message_id), count=2))[1]
    assert again["correlationId"] == "2.again", "the same content is still answered from the inbox"


async def test_a_reply_echoes_the_correlation_id_of_the_command_it_answers(
    participant: Participant, spec: ServiceSpec
) -> None:
    payload = await participant.arrange(random_ref("o"))
    first = command(spec.forward, payload)
    second = first.model_copy(update={"correlation_id": "2.second-attempt"})
    await participant.call(first)

    await participant.bus.send(spec.service, second)
    replies = await participant.bus.replies_to(str(first.message_id), count=2)

    assert [reply["correlationId"] for reply in replies] == [first.correlation_id, "2.second-attempt"]
    assert replies[0]["result"] == replies[1]["result"], "the inbox answered the second attempt"


async def test_an_injected_failure_is_answered_but_not_remembered(
    participant: Participant, spec: ServiceSpec
) -> None:
    payload = await participant.arrange(random_ref("o"))
    message = command(spec.forward, payload)
    before = await participant.state(message.saga_id, payload)
    await participant.worker.restart(failing={"other", spec.forward})

    failed = await participant.call(message)
    assert failed["success"] is False
    # A stable code and a message for people; the exception's name and text stay in the log.
    assert (failed["code"], failed["error"]) == ("internal_error", "the service could not apply the command")
    assert await participant.state(message.saga_id, payload) == before
    assert not await participant.inbox_has(message)

    await participant.worker.restart()
    await participant.bus.send(spec.service, message)
    retried = (await participant.bus.replies_to(str(message.message_id), count=2))[1]
    assert retried["success"] is True
    assert statuses(await participant.state(message.saga_id, payload)) == [spec.done]


async def test_fault_variables_switch_nothing_in_the_code_that_ships(
    participant: Participant, spec: ServiceSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Faults are installed by the tests' own entry alone: a stray FAULT_* variable in a service's
    environment fails no command and sends no reply twice."""
    worker = participant.worker
    environment = {
        "DATABASE_URL": worker.settings.database_url,
        "AMQP_URL": worker.settings.amqp_url,
        "QUEUE_PREFIX": worker.settings.queue_prefix,
        "PREFETCH": "1",
        "DB_POOL_SIZE": "4",
        "FAULT_FAIL_COMMANDS": spec.forward,
        "FAULT_DUPLICATE_PUBLISHES": "true",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    await worker.stop()
    worker.settings = spec.settings_type()  # from the environment, as its process reads them
    await worker.start()
    message = command(spec.forward, await participant.arrange(random_ref("o")))

    reply = await participant.call(message)
    # With one message at a time, the next reply comes after any second copy of the first.
    after = await participant.call(command(spec.forward, await participant.arrange(random_ref("o"))))

    assert reply["success"] is True
    assert after["success"] is True
    assert participant.bus.replies_so_far(str(message.message_id)) == [reply]
