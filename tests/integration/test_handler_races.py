"""A command and its compensation for the same saga, racing in two transactions, as two deliveries can."""

import asyncio
from uuid import uuid4

import pytest

from tests.integration.harness import ServiceDatabase, apply_directly
from tests.integration.services import COMPENSATED, ServiceSpec
from tests.polling import random_ref

pytestmark = pytest.mark.integration

ROUNDS = 20


@pytest.fixture(params=COMPENSATED, ids=lambda spec: spec.service)
def spec(request: pytest.FixtureRequest) -> ServiceSpec:
    return request.param  # type: ignore[no-any-return]


async def test_whichever_wins_the_saga_ends_compensated_with_nothing_left_behind(
    db: ServiceDatabase, spec: ServiceSpec
) -> None:
    assert spec.compensation is not None
    for _ in range(ROUNDS):
        payload = await spec.arrange(db.pool, random_ref("race"))
        saga_id = uuid4()
        before = await spec.state(db.pool, saga_id, payload)

        forward, compensation = await asyncio.gather(
            apply_directly(db.pool, spec, spec.forward, saga_id, payload),
            apply_directly(db.pool, spec, spec.compensation, saga_id, payload),
        )

        after = await spec.state(db.pool, saga_id, payload)
        assert compensation.success is True
        # Forward first: it is undone. Compensation first: its marker stands and forward is refused.
        expected = spec.undone if forward.success else spec.marker
        assert [row["status"] for row in after["rows"]] == [expected]
        assert forward.success or forward.error == spec.refusal
        assert after.get("stock") == before.get("stock")
