"""The workflows' own routes against the running orchestrator: a definition as a graph, and a saga
started, watched, cancelled and read under /workflows/{name}/..., the same saga as under /saga/...."""

from collections.abc import Iterator
from typing import Any

import pytest

from ops.system import System
from tests.harness import SagaApi, order
from tests.polling import eventually, random_ref

pytestmark = pytest.mark.e2e

ORDER = "/workflows/order"


async def test_a_saga_started_under_its_workflow_finishes_and_is_the_seeds_saga_too(api: SagaApi) -> None:
    order_id = random_ref("order")

    started = await api.http.post(f"{ORDER}/start", json=order(order_id), params={"wait": 20})
    status = (await api.http.get(f"{ORDER}/sagas/{order_id}/status")).json()
    history = (await api.http.get(f"{ORDER}/sagas/{order_id}/history")).json()

    assert started.status_code == 202
    assert started.json() | {"sagaId": None} == {
        "sagaId": None,
        "workflow": "order",
        "version": 1,
        "key": order_id,
        "status": "COMPLETED",
    }
    assert (status["workflow"], status["version"], status["key"], status["status"]) == (
        "order",
        1,
        order_id,
        "COMPLETED",
    )
    assert [e["state"] for e in history["events"] if e["type"] == "STATE"][-1] == "COMPLETED"
    assert (await api.status(order_id))["sagaId"] == status["sagaId"] == started.json()["sagaId"]
    again = await api.http.post(f"{ORDER}/start", json=order(order_id))
    assert (again.status_code, again.json()["sagaId"]) == (200, status["sagaId"])
    assert (await api.start(order(order_id))).status_code == 200  # the seed's route finds it too


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": "2"}, "quantity"),
        ({"amount": 0.001}, "amount"),
        ({"orderId": "has space"}, "orderId"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_an_invalid_input_is_refused_naming_the_field(
    api: SagaApi, change: dict[str, Any], field: str
) -> None:
    order_id = random_ref("order")

    response = await api.http.post(f"{ORDER}/start", json={**order(order_id), **change})

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]
    assert (await api.http.get(f"{ORDER}/sagas/{order_id}/status")).status_code == 404


@pytest.fixture
def shipping_never_answers(system: System) -> Iterator[None]:
    """Holds sagas at STOCK_RESERVED: the shipping service drops createShipment unanswered."""
    system.restart("shipping-service", env={"FAULT_DROP_COMMANDS": "createShipment"})
    yield
    system.restart("shipping-service")


@pytest.mark.usefixtures("shipping_never_answers")
async def test_a_running_saga_is_cancelled_under_its_workflow(api: SagaApi) -> None:
    order_id = random_ref("order")
    await api.http.post(f"{ORDER}/start", json=order(order_id))
    await eventually(lambda: api.status(order_id), lambda s: s["status"] == "STOCK_RESERVED")

    cancelled = await api.http.post(f"{ORDER}/sagas/{order_id}/cancel")
    settled = await api.http.get(f"{ORDER}/sagas/{order_id}/status", params={"wait": 20})
    again = await api.http.post(f"{ORDER}/sagas/{order_id}/cancel")

    assert (cancelled.status_code, cancelled.json()["key"]) == (202, order_id)
    assert (settled.json()["status"], again.status_code) == ("CANCELLED", 200)
    assert (await api.states(order_id))[-2:] == ["ORDER_CANCELLED", "CANCELLED"]


async def test_unknown_workflows_versions_and_keys_are_not_found(api: SagaApi) -> None:
    unknown = [
        await api.http.get("/workflows/refund"),
        await api.http.get(ORDER, params={"version": 99}),
        await api.http.post("/workflows/refund/start", json=order(random_ref("order"))),
        await api.http.get(f"{ORDER}/sagas/{random_ref('order')}/status"),
        await api.http.get(f"{ORDER}/sagas/{random_ref('order')}/history"),
        await api.http.post(f"{ORDER}/sagas/{random_ref('order')}/cancel"),
    ]

    assert [response.status_code for response in unknown] == [404] * len(unknown)


async def test_the_definition_is_a_graph_of_its_steps_and_the_list_counts_its_sagas(api: SagaApi) -> None:
    graph = (await api.http.get(ORDER)).json()
    pinned = (await api.http.get(ORDER, params={"version": 1})).json()
    listed = (await api.http.get("/workflows")).json()["workflows"]

    assert graph == pinned
    assert (graph["name"], graph["version"], graph["key"]) == ("order", 1, "orderId")
    assert [(n["service"], n["command"], n["reaches"], n["compensation"]) for n in graph["nodes"]] == [
        ("order", "createOrder", "ORDER_CREATED", "cancelOrder"),
        ("payment", "processPayment", "PAYMENT_PROCESSED", "cancelPayment"),
        ("inventory", "reserveStock", "STOCK_RESERVED", "releaseStock"),
        ("shipping", "createShipment", "SHIPPED", "cancelShipment"),
    ]
    # A straight line: one compensable step a stage, none in a group, none with a condition.
    assert [(n["stage"], n["group"], n["kind"], n["when"], n["whenText"]) for n in graph["nodes"]] == [
        (stage, None, "compensable", None, None) for stage in range(4)
    ]
    forward = [(e["source"], e["target"]) for e in graph["edges"] if e["kind"] == "next"]
    assert forward == [
        ("createOrder", "processPayment"),
        ("processPayment", "reserveStock"),
        ("reserveStock", "createShipment"),
    ]
    assert {(e["target"], e["source"]) for e in graph["edges"] if e["kind"] == "compensate"} == set(forward)
    assert [(w["name"], [(v["version"], v["current"]) for v in w["versions"]]) for w in listed] == [
        ("express_order", [(1, True)]),
        ("order", [(1, True)]),
    ]
    (order_listed,) = [w for w in listed if w["name"] == "order"]
    assert order_listed["versions"][0]["digest"] == graph["digest"]
