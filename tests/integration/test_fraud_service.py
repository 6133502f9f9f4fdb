"""The fraud service's own rules, beyond what every participant guarantees."""

from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from tests.integration.harness import Participant, command
from tests.integration.services import FRAUD, ServiceSpec
from tests.polling import random_ref

pytestmark = pytest.mark.integration


@pytest.fixture
def spec() -> ServiceSpec:
    return FRAUD


async def test_an_assessment_at_the_limit_is_cleared_and_withdrawn_under_one_id(
    participant: Participant,
) -> None:
    payload = {**await participant.arrange(random_ref("o")), "amount": 5000}
    saga_id = uuid4()

    cleared = await participant.call(command("assessFraud", payload, saga_id=saga_id))
    withdrawn = await participant.call(command("withdrawAssessment", payload, saga_id=saga_id))

    assessment_id = cleared["result"]["assessmentId"]
    assert cleared["result"] == {"assessmentId": assessment_id, "verdict": "CLEAR", "status": "CLEARED"}
    assert withdrawn["result"] == {"assessmentId": assessment_id, "status": "WITHDRAWN"}
    [row] = (await participant.state(saga_id, payload))["rows"]
    assert row["assessment_id"] == UUID(assessment_id)
    assert (row["order_id"], row["payment_id"], row["amount"]) == (
        payload["orderId"],
        payload["paymentId"],
        Decimal(5000),
    )


async def test_an_amount_over_the_limit_is_refused_as_suspected_and_nothing_is_stored(
    participant: Participant,
) -> None:
    payload = {**await participant.arrange(random_ref("o")), "amount": "5000.01"}
    saga_id = uuid4()

    refused = await participant.call(command("assessFraud", payload, saga_id=saga_id))
    after_refusal = await participant.state(saga_id, payload)
    compensated = await participant.call(command("withdrawAssessment", payload, saga_id=saga_id))

    assert (refused["success"], refused["code"]) == (False, "fraud_suspected")
    assert refused["error"] == "fraud suspected: amount 5000.01 is above the review limit of 5000"
    assert after_refusal["rows"] == []
    # The saga compensates the refused step too: that leaves only the marker.
    assert compensated["result"]["status"] == "VOIDED"


async def test_a_withdrawal_without_the_payment_comes_first_and_the_late_assessment_clears_nothing(
    participant: Participant,
) -> None:
    """The payment's step may have timed out: the withdrawal then carries no payment id."""
    payload = await participant.arrange(random_ref("o"))
    saga_id = uuid4()
    withdrawal = {key: value for key, value in payload.items() if key != "paymentId"}

    voided = await participant.call(command("withdrawAssessment", withdrawal, saga_id=saga_id))
    late = await participant.call(command("assessFraud", payload, saga_id=saga_id))

    assert (voided["success"], voided["result"]["status"]) == (True, "VOIDED")
    assert (late["success"], late["code"], late["error"]) == (
        False,
        "already_compensated",
        "assessment already withdrawn",
    )
    [row] = (await participant.state(saga_id, payload))["rows"]
    assert (row["status"], row["payment_id"]) == ("VOIDED", None)
