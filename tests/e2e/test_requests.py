"""What the API answers to duplicates, bad input, unknown orders and listing."""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from shared.contracts import IDENTIFIER_PATTERN
from tests.harness import Books, SagaApi, order
from tests.polling import random_ref

pytestmark = pytest.mark.e2e


async def test_the_same_start_twice_returns_the_existing_saga(api: SagaApi) -> None:
    body = order(random_ref("order"))
    first = await api.start(body)

    second = await api.start(body)

    assert (first.status_code, second.status_code) == (202, 200)
    assert second.json()["sagaId"] == first.json()["sagaId"]


async def test_concurrent_identical_starts_make_one_saga(api: SagaApi) -> None:
    body = order(random_ref("order"))

    responses = await asyncio.gather(*(api.start(body) for _ in range(10)))

    assert sorted(r.status_code for r in responses) == [200] * 9 + [202]
    assert len({r.json()["sagaId"] for r in responses}) == 1
    await api.finished(body["orderId"])
    assert (await api.commands(body["orderId"])).count("createOrder") == 1


async def test_the_same_order_with_another_body_is_a_conflict(api: SagaApi) -> None:
    body = order(random_ref("order"))
    await api.start(body)

    response = await api.start({**body, "quantity": 3})

    assert response.status_code == 409
    assert "different request" in response.json()["detail"]


VALID = {"orderId": "order-x", "productId": "item-001", "quantity": 2, "amount": 1000}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"orderId": None}, "orderId"),
        ({"productId": None}, "productId"),
        ({"quantity": None}, "quantity"),
        ({"amount": None}, "amount"),
        ({"quantity": "2"}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": "1000"}, "amount"),
        ({"orderId": ""}, "orderId"),
        ({"orderId": "x" * 65}, "orderId"),
        ({"productId": ""}, "productId"),
        ({"orderId": 123}, "orderId"),
        ({"unexpected": 1}, "unexpected"),
        ({"orderId": "a\u0000b"}, "orderId"),
        ({"orderId": "has space"}, "orderId"),
        ({"orderId": "line\r\nbreak"}, "orderId"),
        ({"productId": "item\n001"}, "productId"),
        ({"productId": "-item"}, "productId"),
        ({"quantity": 1_000_001}, "quantity"),
        ({"quantity": 3_000_000_000}, "quantity"),
        ({"quantity": 2**63}, "quantity"),
        ({"quantity": True}, "quantity"),
        ({"amount": 1e308}, "amount"),
        ({"amount": 1_000_000_000.01}, "amount"),
        ({"amount": 0.001}, "amount"),
        ({"amount": 10.005}, "amount"),
        ({"amount": True}, "amount"),
    ],
)
async def test_an_invalid_start_is_refused_naming_the_field_and_stores_nothing(
    api: SagaApi, change: dict[str, Any], field: str
) -> None:
    order_id = random_ref("invalid")
    body = {**VALID, "orderId": order_id, **change}
    body = {k: v for k, v in body.items() if v is not None}

    response = await api.start(body)

    assert response.status_code == 422
    assert field in str(response.json()["detail"])
    assert all("input" not in error for error in response.json()["detail"])  # the input is not echoed
    given = body.get("orderId")
    lookup = given if isinstance(given, str) and re.fullmatch(IDENTIFIER_PATTERN, given) else order_id
    assert (await api.http.get(f"/saga/{lookup}/status")).status_code == 404


@pytest.mark.parametrize(
    ("field", "written"),
    [
        ("orderId", '"\\ud800"'),  # a lone surrogate: no character at all
        ("orderId", "1e999"),
        ("amount", "NaN"),
        ("amount", "Infinity"),
        ("amount", "1e999"),
        ("amount", "-1e999"),
        ("amount", "0.1000000000000000001"),  # 0.1 as a float: exact, it has too many decimals
        ("quantity", "1e999"),
        ("quantity", "9" * 5000),  # longer than Python reads as an integer
    ],
)
async def test_json_a_float_cannot_hold_is_refused_as_written(api: SagaApi, field: str, written: str) -> None:
    order_id = random_ref("invalid")
    body = json.dumps({**VALID, "orderId": order_id, field: "HERE"}).replace('"HERE"', written)

    response = await api.http.post(
        "/saga/start", content=body.encode(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert (await api.http.get(f"/saga/{order_id}/status")).status_code == 404


async def test_an_amount_is_kept_exactly_in_cents_from_the_request_to_the_payment(
    api: SagaApi, books: Books
) -> None:
    order_id = random_ref("order")
    body = json.dumps({**VALID, "orderId": order_id, "amount": "HERE"}).replace('"HERE"', "1000.1")

    await api.http.post("/saga/start", content=body.encode(), headers={"content-type": "application/json"})

    assert (await api.finished(order_id))["status"] == "COMPLETED"
    assert (await api.status(order_id))["input"]["amount"] == "1000.10"
    [payment] = await books.fetch(
        "payment-service", "SELECT amount FROM payments WHERE order_id = $1", order_id
    )
    assert payment["amount"] == Decimal("1000.10")


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"orderId": "\xff\xfe"}', b"[" * 50_000],
    ids=["syntax", "not-utf8", "nested-too-deep"],
)
async def test_a_body_that_is_not_json_is_refused(api: SagaApi, content: bytes) -> None:
    response = await api.http.post(
        "/saga/start", content=content, headers={"content-type": "application/json"}
    )

    assert response.status_code == 422


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_a_body_over_64_kib_is_refused_before_it_is_read_as_json(api: SagaApi, declared: bool) -> None:
    order_id = random_ref("order")
    padded = json.dumps(order(order_id)).encode() + b" " * 64 * 1024  # valid JSON, were it read

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(padded), 8192):
            yield padded[start : start + 8192]

    response = await api.http.post(
        "/saga/start",
        content=padded if declared else chunks(),
        headers={"content-type": "application/json"},
    )

    assert response.status_code == 413
    assert (await api.http.get(f"/saga/{order_id}/status")).status_code == 404


async def test_a_start_with_nul_among_sixty_valid_starts_leaves_all_sixty_accepted(api: SagaApi) -> None:
    valid = [order(random_ref("order")) for _ in range(60)]
    poisoned = order(f"{random_ref('order')}\u0000")

    responses = await asyncio.gather(*(api.start(body) for body in [*valid[:30], poisoned, *valid[30:]]))

    codes = [response.status_code for response in responses]
    assert codes[30] == 422
    assert codes[:30] + codes[31:] == [202] * 60


@pytest.mark.parametrize(
    "path",
    [
        "/saga/a%00b/status",
        "/saga/a%0D%0Ab/history",
        "/saga/%ED%A0%80/status",
        "/saga/has%20space/cancel",
        "/saga/-x/retry",
        f"/saga/{'x' * 65}/status",
        "/sagas?status=%00",
        "/sagas?status=not-a-state",
    ],
)
async def test_an_id_in_a_path_that_breaks_the_rule_is_refused_not_a_server_error(
    api: SagaApi, path: str
) -> None:
    method = "POST" if path.endswith(("cancel", "retry")) else "GET"

    response = await api.http.request(method, path)

    assert response.status_code in {404, 422}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/saga/{}/status"),
        ("GET", "/saga/{}/history"),
        ("POST", "/saga/{}/cancel"),
        ("POST", "/saga/{}/retry"),
    ],
)
async def test_an_unknown_order_is_not_found(api: SagaApi, method: str, path: str) -> None:
    response = await api.http.request(method, path.format(random_ref("nobody")))

    assert response.status_code == 404
    assert "no saga for order" in response.json()["detail"]


async def test_sagas_are_listed_newest_first_and_filtered_by_status(api: SagaApi) -> None:
    completed, failed = random_ref("order"), random_ref("order")
    await api.start(order(completed))
    await api.start(order(failed, amount=50000))
    await api.finished(completed)
    await api.finished(failed)

    newest = (await api.http.get("/sagas", params={"limit": 2})).json()["sagas"]
    only_failed = (await api.http.get("/sagas", params={"status": "FAILED", "limit": 1000})).json()["sagas"]

    assert [s["orderId"] for s in newest] == [failed, completed]
    assert failed in {s["orderId"] for s in only_failed}
    assert {s["status"] for s in only_failed} == {"FAILED"}


async def test_health_readiness_and_docs(api: SagaApi) -> None:
    assert (await api.http.get("/healthz")).status_code == 200
    assert (await api.http.get("/readyz")).json() == {"status": "ready"}
    assert (await api.http.get("/docs")).status_code == 200
    assert "/saga/start" in (await api.http.get("/openapi.json")).json()["paths"]


async def test_status_can_wait_for_the_saga_to_finish(api: SagaApi) -> None:
    order_id = random_ref("order")
    await api.start(order(order_id))

    response = await api.http.get(f"/saga/{order_id}/status", params={"wait": 10})

    assert response.json()["status"] == "COMPLETED"


async def test_a_wait_longer_than_a_minute_is_refused(api: SagaApi) -> None:
    response = await api.http.get("/saga/x/status", params={"wait": 61})

    assert response.status_code == 422


async def test_a_start_can_wait_for_the_outcome(api: SagaApi) -> None:
    completes, fails = random_ref("order"), random_ref("order")

    completed = await api.http.post("/saga/start", params={"wait": 10}, json=order(completes))
    failed = await api.http.post("/saga/start", params={"wait": 10}, json=order(fails, quantity=20))
    again = await api.http.post("/saga/start", params={"wait": 10}, json=order(completes))

    assert (completed.status_code, completed.json()["status"]) == (202, "COMPLETED")
    assert (failed.status_code, failed.json()["status"]) == (202, "FAILED")
    assert (again.status_code, again.json()) == (200, completed.json())


async def test_a_start_whose_wait_runs_out_answers_with_the_saga_still_running(api: SagaApi) -> None:
    order_id = random_ref("order")

    response = await api.http.post("/saga/start", params={"wait": 0.001}, json=order(order_id))

    assert response.status_code == 202
    assert response.json()["status"] not in {"COMPLETED", "FAILED"}
    assert (await api.finished(order_id))["status"] == "COMPLETED"
