"""API keys against the real orchestrator: who may call, and what each caller may see and do."""

import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ops.broker_access import BrokerAccess
from ops.system import System
from tests.harness import SagaApi, order, running_system
from tests.infrastructure import Infrastructure
from tests.polling import eventually, random_ref

pytestmark = pytest.mark.e2e

ROLES = {"client-a": "client", "client-b": "client", "ops": "operator"}
KEYS = {name: secrets.token_urlsafe(24) for name in ROLES}
# Long enough forward deadlines to cancel a saga held at shipping; one compensation attempt, so
# that a compensation shipping cannot answer parks at once, for an operator to retry.
ENV = {
    "API_KEYS": ",".join(f"{name}:{role}:{KEYS[name]}" for name, role in ROLES.items()),
    "STEP_TIMEOUT_SECONDS": "2",
    "MAX_ATTEMPTS": "3",
    "COMPENSATION_MAX_ATTEMPTS": "1",
    "BACKOFF_BASE_SECONDS": "0.1",
    "WAKE_INTERVAL_SECONDS": "0.1",
    "DB_POOL_SIZE": "4",
}
ROUTES = [
    ("POST", "/saga/start"),
    ("GET", "/saga/{}/status"),
    ("GET", "/saga/{}/history"),
    ("POST", "/saga/{}/cancel"),
    ("POST", "/saga/{}/retry"),
    ("GET", "/sagas"),
]


@pytest.fixture(scope="module")
async def system(
    infra: Infrastructure, broker: BrokerAccess, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    log_dir = tmp_path_factory.mktemp("auth-logs")
    async with running_system(infra, broker, f"{run_id}_auth_", log_dir, env=ENV) as running:
        yield running


@pytest.fixture(scope="module")
async def callers(system: System) -> AsyncIterator[dict[str, SagaApi]]:
    """A client per key, and `nobody` without one."""
    opened = {name: SagaApi(system.url(), KEYS[name]) for name in ROLES}
    opened["nobody"] = SagaApi(system.url())
    yield opened
    for api in opened.values():
        await api.http.aclose()


@pytest.fixture
def shipping_down(system: System) -> Iterator[None]:
    """Holds sagas at STOCK_RESERVED until shipping comes back."""
    system.kill("shipping-service")
    yield
    if "shipping-service" not in system.processes:
        system.restart("shipping-service")


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-known-key-0123456789", f"Basic {KEYS['ops']}"])
async def test_a_missing_or_unknown_key_is_refused_with_401(
    callers: dict[str, SagaApi], method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    body = order(random_ref("order")) if method == "POST" else None

    response = await callers["nobody"].http.request(
        method, path.format(random_ref("order")), json=body, headers=headers
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_health_checks_metrics_and_docs_need_no_key_and_openapi_declares_the_scheme(
    callers: dict[str, SagaApi],
) -> None:
    nobody = callers["nobody"].http
    assert (await nobody.get("/healthz")).status_code == 200
    assert (await nobody.get("/readyz")).json() == {"status": "ready"}
    assert (await nobody.get("/docs")).status_code == 200
    assert (await nobody.get("/metrics")).status_code == 200  # counts for Prometheus, no saga's data
    spec = (await nobody.get("/openapi.json")).json()

    schemes = spec["components"]["securitySchemes"]
    assert [(s["type"], s["scheme"]) for s in schemes.values()] == [("http", "bearer")]
    for method, path in ROUTES:
        operation = spec["paths"][path.format("{order_id}")][method.lower()]
        assert operation["security"] == [{name: []} for name in schemes]
        assert "401" in operation["responses"]
        assert ("403" in operation["responses"]) is (path in {"/sagas", "/saga/{}/retry"})
    for path in ("/healthz", "/readyz"):
        assert "security" not in spec["paths"][path]["get"]


async def test_a_client_may_not_list_sagas_nor_retry_even_its_own(callers: dict[str, SagaApi]) -> None:
    client = callers["client-a"]
    order_id = random_ref("order")
    assert (await client.start(order(order_id))).status_code == 202

    listed = await client.http.get("/sagas")
    retried = await client.http.post(f"/saga/{order_id}/retry")

    assert (listed.status_code, retried.status_code) == (403, 403)


async def test_another_clients_saga_is_not_found_as_if_it_did_not_exist(callers: dict[str, SagaApi]) -> None:
    owner, other = callers["client-a"], callers["client-b"]
    order_id, unknown = random_ref("order"), random_ref("order")
    await owner.start(order(order_id))
    finished = await owner.finished(order_id)

    for method, path in [("GET", "status"), ("GET", "history"), ("POST", "cancel")]:
        response = await other.http.request(method, f"/saga/{order_id}/{path}")
        absent = await other.http.request(method, f"/saga/{unknown}/{path}")

        assert response.status_code == absent.status_code == 404
        assert response.json()["detail"] == absent.json()["detail"].replace(unknown, order_id)
    assert await owner.status(order_id) == finished
    assert (await owner.history(order_id))[-1]["state"] == "COMPLETED"


async def test_another_clients_order_id_cannot_be_started_and_tells_nothing_of_its_saga(
    callers: dict[str, SagaApi],
) -> None:
    owner, other = callers["client-a"], callers["client-b"]
    body = order(random_ref("order"))
    started = (await owner.start(body)).json()

    same = await other.start(body)
    different = await other.start({**body, "quantity": 2})
    again = await owner.start(body)

    assert (same.status_code, different.status_code) == (409, 409)
    assert same.json() == different.json() == {"detail": f"order {body['orderId']!r} is taken"}
    assert (again.status_code, again.json()["sagaId"]) == (200, started["sagaId"])


async def test_an_operator_sees_every_saga_and_who_started_it(callers: dict[str, SagaApi]) -> None:
    client, ops = callers["client-a"], callers["ops"]
    order_id = random_ref("order")
    await client.start(order(order_id))

    status = await ops.status(order_id)
    history = await ops.history(order_id)
    listed = (await ops.http.get("/sagas", params={"limit": 1000})).json()["sagas"]
    ops_start = await ops.start(order(random_ref("order")))

    assert status["owner"] == "client-a"
    assert history[0]["state"] == "STARTED"
    assert {s["orderId"]: s["owner"] for s in listed}[order_id] == "client-a"
    assert (ops_start.status_code, (await ops.status(ops_start.json()["orderId"]))["owner"]) == (202, "ops")


@pytest.mark.usefixtures("shipping_down")
async def test_a_client_cancels_its_own_saga_an_operator_retries_it_and_the_history_names_both(
    system: System, callers: dict[str, SagaApi]
) -> None:
    client, other, ops = callers["client-a"], callers["client-b"], callers["ops"]
    order_id = random_ref("order")
    await client.start(order(order_id))
    await eventually(lambda: client.status(order_id), lambda s: s["status"] == "STOCK_RESERVED")

    assert (await other.http.post(f"/saga/{order_id}/cancel")).status_code == 404
    assert (await client.http.post(f"/saga/{order_id}/cancel")).status_code == 202
    parked = await client.finished_or_parked(order_id)  # cancelShipment finds shipping down
    assert parked["status"] == "COMPENSATION_FAILED"
    assert (await client.http.post(f"/saga/{order_id}/retry")).status_code == 403
    system.restart("shipping-service")
    assert (await ops.http.post(f"/saga/{order_id}/retry")).status_code == 202

    assert (await client.finished(order_id))["status"] == "CANCELLED"
    asked = {e["type"]: e["actor"] for e in await client.history(order_id) if e["actor"]}
    assert asked == {"CANCEL_REQUESTED": "client-a", "RESUMED": "ops"}


def _orchestrator(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Runs the orchestrator with `env`; servers it cannot reach, in case it does not refuse."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("API_KEYS", "HTTP_HOST"))}
    unreachable = {"DATABASE_URL": "postgresql://root@127.0.0.1:1/none", "AMQP_URL": "amqp://127.0.0.1:1/"}
    return subprocess.run(
        [sys.executable, "-m", "saga_orchestrator"],
        env={**inherited, **unreachable, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_with_no_keys_the_orchestrator_refuses_to_listen_beyond_loopback(tmp_path: Path) -> None:
    refused = _orchestrator({"HTTP_HOST": "0.0.0.0"}, tmp_path)

    assert refused.returncode != 0
    assert "cannot start: no API keys are configured" in refused.stderr
    assert "HTTP_HOST=127.0.0.1" in refused.stderr


def test_a_malformed_key_stops_the_orchestrator_without_showing_the_key(tmp_path: Path) -> None:
    refused = _orchestrator({"API_KEYS": "shop:client:Secret-short"}, tmp_path)

    assert refused.returncode != 0
    assert "cannot start: API_KEYS entry 1: a key is" in refused.stderr
    assert "Secret" not in refused.stderr


WORKFLOW_ROUTES = [
    ("GET", "/workflows"),
    ("GET", "/workflows/order"),
    ("POST", "/workflows/order/start"),
    ("GET", "/workflows/order/sagas/{}/status"),
    ("GET", "/workflows/order/sagas/{}/history"),
    ("POST", "/workflows/order/sagas/{}/cancel"),
    ("POST", "/workflows/order/sagas/{}/retry"),
]


@pytest.mark.parametrize(("method", "path"), WORKFLOW_ROUTES)
async def test_the_workflow_routes_refuse_a_missing_or_unknown_key_with_401(
    callers: dict[str, SagaApi], method: str, path: str
) -> None:
    body = order(random_ref("order")) if method == "POST" else None
    for headers in ({}, {"Authorization": "Bearer not-a-known-key-0123456789"}):
        response = await callers["nobody"].http.request(
            method, path.format(random_ref("order")), json=body, headers=headers
        )

        assert response.status_code == 401


async def test_a_client_draws_a_workflow_but_may_not_list_versions_nor_retry(
    callers: dict[str, SagaApi],
) -> None:
    client = callers["client-a"]
    order_id = random_ref("order")
    assert (await client.http.post("/workflows/order/start", json=order(order_id))).status_code == 202

    drawn = await client.http.get("/workflows/order")
    listed = await client.http.get("/workflows")
    retried = await client.http.post(f"/workflows/order/sagas/{order_id}/retry")

    assert (drawn.status_code, listed.status_code, retried.status_code) == (200, 403, 403)
    assert (await callers["ops"].http.get("/workflows")).status_code == 200


async def test_another_clients_saga_is_not_found_under_its_workflow_either(
    callers: dict[str, SagaApi],
) -> None:
    owner, other = callers["client-a"], callers["client-b"]
    body = order(random_ref("order"))
    order_id, unknown = body["orderId"], random_ref("order")
    await owner.http.post("/workflows/order/start", json=body)
    await owner.finished(order_id)

    for method, path in [("GET", "status"), ("GET", "history"), ("POST", "cancel")]:
        response = await other.http.request(method, f"/workflows/order/sagas/{order_id}/{path}")
        absent = await other.http.request(method, f"/workflows/order/sagas/{unknown}/{path}")

        assert response.status_code == absent.status_code == 404
        assert response.json()["detail"] == absent.json()["detail"].replace(unknown, order_id)
    taken = await other.http.post("/workflows/order/start", json=body)
    assert (taken.status_code, taken.json()) == (409, {"detail": f"order {order_id!r} is taken"})
    mine = await owner.http.get(f"/workflows/order/sagas/{order_id}/status")
    assert (mine.json()["owner"], mine.json()["status"]) == ("client-a", "COMPLETED")
