"""The order saga going forward: its states, its history, and what each command carries and when it is due."""

from datetime import timedelta
from functools import partial

import pytest

from saga_orchestrator.engine.state import Awaiting, Phase, RecordType
from tests.unit.engine_driver import FORWARD, FORWARD_STATES, INPUT, SAGA_ID, T0, Driver, brief

pytestmark = pytest.mark.unit

TIMEOUT = timedelta(seconds=5)
ORDER = {k: INPUT[k] for k in ("orderId", "productId", "quantity", "amount")}
PAYMENT = {k: INPUT[k] for k in ("orderId", "amount")}
STOCK = {k: INPUT[k] for k in ("orderId", "productId", "quantity")}


def _answer_later(driver: Driver) -> None:
    """Lets time pass before a success, so a deadline computed from the wrong clock shows."""
    driver.later(1.5)
    driver.succeed()


def test_starting_a_saga_records_started_and_sends_the_first_command() -> None:
    driver = Driver()

    assert driver.saga.saga_id == SAGA_ID
    assert driver.saga.workflow == "order"
    assert (driver.saga.status, driver.saga.phase, driver.saga.attempt) == ("STARTED", Phase.FORWARD, 1)
    assert (driver.saga.awaiting, driver.saga.wake_at) == (Awaiting.REPLY, T0 + TIMEOUT)
    assert brief(driver.records) == [("STATE", "STARTED"), ("COMMAND", "createOrder")]
    assert driver.sent() == ["createOrder"]


def test_successful_replies_carry_the_saga_through_every_state_to_completed() -> None:
    driver = Driver().settle()

    assert driver.states() == ["STARTED", *FORWARD_STATES, "COMPLETED"]
    assert driver.sent() == list(FORWARD)
    saga = driver.saga
    assert (saga.status, saga.phase, saga.outcome, saga.active) == (
        "COMPLETED",
        Phase.DONE,
        "COMPLETED",
        False,
    )
    assert (saga.awaiting, saga.wake_at) == (Awaiting.NOTHING, None)
    assert (saga.failed_step, saga.error, saga.last_error) == (None, None, None)


def test_a_completed_saga_has_each_command_reply_and_state_in_order() -> None:
    driver = Driver().settle()

    assert brief(driver.records) == [
        ("STATE", "STARTED"),
        *(
            record
            for command, state in zip(FORWARD, FORWARD_STATES, strict=True)
            for record in (("COMMAND", command), ("REPLY", command), ("STATE", state))
        ),
        ("STATE", "COMPLETED"),
    ]
    assert all(r.success for r in driver.of_type(RecordType.REPLY))
    assert {r.attempt for r in driver.of_type(RecordType.COMMAND)} == {1}


@pytest.mark.parametrize(("index", "command"), list(enumerate(FORWARD)))
def test_a_successful_reply_reaches_its_steps_state(index: int, command: str) -> None:
    driver = Driver().reach(command)

    decision = driver.succeed(trackingId="t-9")

    assert decision is not None
    reply, state = decision.records[:2]
    assert (reply.type, reply.step, reply.command, reply.attempt) == ("REPLY", command, command, 1)
    assert (reply.success, reply.result, reply.error) == (True, {"trackingId": "t-9"}, None)
    assert (state.type, state.state, state.step) == ("STATE", FORWARD_STATES[index], command)
    assert driver.saga.progress == FORWARD_STATES[index]


@pytest.mark.parametrize(
    ("command", "service", "payload"),
    [
        ("createOrder", "order", ORDER),
        ("processPayment", "payment", PAYMENT),
        ("reserveStock", "inventory", STOCK),
        ("createShipment", "shipping", STOCK),
    ],
)
def test_each_command_goes_to_its_service_with_exactly_the_fields_its_step_carries(
    command: str, service: str, payload: dict[str, object]
) -> None:
    driver = Driver()
    driver.repeat(partial(_answer_later, driver), lambda: driver.awaited == command)

    dispatch = driver.dispatches[-1]
    assert (dispatch.service, dispatch.command, dispatch.step_id) == (service, command, command)
    assert dispatch.payload == payload
    assert dispatch.deadline == driver.now + TIMEOUT
    assert driver.saga.wake_at == dispatch.deadline
    record = driver.records[-1]
    assert (record.type, record.step, record.service, record.command, record.attempt) == (
        "COMMAND",
        command,
        service,
        command,
        1,
    )


@pytest.mark.parametrize(
    ("undo", "service", "payload"),
    [
        ("cancelShipment", "shipping", STOCK),
        ("releaseStock", "inventory", STOCK),
        ("cancelPayment", "payment", PAYMENT),
        ("cancelOrder", "order", ORDER),
    ],
)
def test_each_compensation_goes_to_its_steps_service_with_the_same_fields(
    undo: str, service: str, payload: dict[str, object]
) -> None:
    driver = Driver().reach("createShipment")
    driver.later(2)
    driver.cancel()
    driver.repeat(partial(_answer_later, driver), lambda: driver.awaited == undo)

    dispatch = driver.dispatches[-1]
    assert (dispatch.service, dispatch.step_id, dispatch.payload) == (service, undo, payload)
    assert dispatch.deadline == driver.now + TIMEOUT


def test_every_dispatch_is_due_one_step_timeout_after_it_is_sent_and_reuses_its_step_id() -> None:
    driver = Driver()
    driver.later(0.25)
    driver.succeed()
    driver.expire()  # processPayment times out,
    driver.expire()  # is sent again after its backoff,
    driver.later(1)
    driver.fail()  # and fails: createOrder is undone,
    driver.expire()  # which times out once too.
    driver.expire()
    driver.succeed()

    assert driver.sent() == ["createOrder", "processPayment", "processPayment", "cancelOrder", "cancelOrder"]
    for dispatch, sent_at in zip(driver.dispatches, driver.sent_at, strict=True):
        assert dispatch.deadline == sent_at + TIMEOUT
        assert dispatch.step_id == dispatch.command
    assert driver.saga.status == "FAILED"


def test_the_saga_input_is_left_as_given() -> None:
    driver = Driver().settle()

    assert driver.saga.input == INPUT
