"""The payment service's own rules, beyond what every participant guarantees."""

from uuid import UUID, uuid4

import pytest

from tests.integration.harness import Participant, command
from tests.integration.services import PAYMENT, ServiceSpec
from tests.polling import random_ref

pytestmark = pytest.mark.integration


@pytest.fixture
def spec() -> ServiceSpec:
    return PAYMENT


async def test_a_payment_over_the_limit_is_declined_and_nothing_is_stored(participant: Participant) -> None:
    payload = {**await participant.arrange(random_ref("o")), "amount": 15000}
    message = command("processPayment", payload)

    reply = await participant.call(message)

    assert reply["success"] is False
    assert reply["error"] == "payment declined: amount 15000 exceeds the limit of 10000"
    assert (await participant.state(message.saga_id, payload))["rows"] == []


async def test_a_payment_at_the_limit_is_charged_and_refunded_under_one_id(participant: Participant) -> None:
    payload = {**await participant.arrange(random_ref("o")), "amount": 10000}
    saga_id = uuid4()

    charged = await participant.call(command("processPayment", payload, saga_id=saga_id))
    refunded = await participant.call(command("cancelPayment", payload, saga_id=saga_id))

    assert charged["result"]["status"] == "CHARGED"
    assert refunded["result"] == {"paymentId": charged["result"]["paymentId"], "status": "REFUNDED"}
    [row] = (await participant.state(saga_id, payload))["rows"]
    assert row["payment_id"] == UUID(charged["result"]["paymentId"])
    assert row["amount"] == 10000


async def test_a_refund_naming_another_payment_is_refused_and_the_charge_kept(
    participant: Participant,
) -> None:
    payload = await participant.arrange(random_ref("o"))
    saga_id = uuid4()
    charged = await participant.call(command("processPayment", payload, saga_id=saga_id))
    other = str(uuid4())

    refused = await participant.call(
        command("cancelPayment", {**payload, "paymentId": other}, saga_id=saga_id)
    )
    named = {**payload, "paymentId": charged["result"]["paymentId"]}
    refunded = await participant.call(command("cancelPayment", named, saga_id=saga_id, step_id="again"))

    assert (refused["success"], refused["code"]) == (False, "payment_mismatch")
    assert refused["error"] == f"payment {other} is not this saga's payment"
    assert refunded["result"] == {"paymentId": charged["result"]["paymentId"], "status": "REFUNDED"}
    [row] = (await participant.state(saga_id, payload))["rows"]
    assert row["status"] == "REFUNDED"


async def test_a_refund_naming_a_payment_that_never_came_leaves_the_marker(participant: Participant) -> None:
    payload = await participant.arrange(random_ref("o"))
    saga_id = uuid4()

    voided = await participant.call(
        command("cancelPayment", {**payload, "paymentId": "p-1"}, saga_id=saga_id)
    )
    late = await participant.call(command("processPayment", payload, saga_id=saga_id))

    assert (voided["success"], voided["result"]["status"]) == (True, "VOIDED")
    assert (late["success"], late["code"]) == (False, "already_compensated")
