"""A workflow beyond a straight line, run by the system beside the order workflow: the same four
services, with payment and stock in one parallel group and shipping as the pivot. Its graph, its
sagas, a cancel past the pivot, and its page in the browser."""

import asyncio
import shutil
from collections.abc import AsyncIterator
from typing import Any

import pytest
import yaml
from playwright.async_api import Browser, Page, expect

from ops.broker_access import BrokerAccess
from ops.system import System
from saga_orchestrator.workflows import BUNDLED
from tests.e2e.conftest import WAIT_MS
from tests.harness import SagaApi, order, running_system
from tests.infrastructure import Infrastructure
from tests.polling import eventually, random_ref

pytestmark = pytest.mark.e2e

GROUPED = "/workflows/grouped"
# Shipping down, the pivot parks the saga after two attempts, a few seconds each.
PIVOT_POLICY = {"deadline_seconds": 3, "max_attempts": 2}


def grouped() -> dict[str, Any]:
    """The order workflow's steps, regrouped: createOrder; processPayment and reserveStock together;
    createShipment, the pivot, which nothing undoes."""
    document = yaml.safe_load((BUNDLED / "order.yaml").read_text())
    create, pay, reserve, ship = document["steps"]
    pay = {**pay, "outputs": ["paymentId"]}
    ship = {**{k: v for k, v in ship.items() if k != "compensation"}, "kind": "pivot", **PIVOT_POLICY}
    steps = [create, {"parallel": [pay, reserve]}, ship]
    return {
        **document,
        "name": "grouped",
        "description": "An order paid and reserved at once",
        "steps": steps,
    }


@pytest.fixture(scope="module")
async def system(
    infra: Infrastructure, broker: BrokerAccess, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    folder = tmp_path_factory.mktemp("workflows")
    shutil.copy(BUNDLED / "order.yaml", folder)
    (folder / "grouped.yaml").write_text(yaml.safe_dump(grouped()))
    env = {"WORKFLOWS_DIR": str(folder), "DB_POOL_SIZE": "4", "BACKOFF_BASE_SECONDS": "0.05"}
    log_dir = tmp_path_factory.mktemp("grouped-logs")
    async with running_system(infra, broker, f"{run_id}_grouped_", log_dir, env=env) as running:
        yield running


@pytest.fixture(scope="module")
async def api(system: System) -> AsyncIterator[SagaApi]:
    async with SagaApi(system.url()) as client:
        yield client


@pytest.fixture
async def page(browser: Browser, system: System) -> AsyncIterator[Page]:
    """A page of the dashboard, open with authentication off; every confirmation is accepted."""
    context = await browser.new_context(base_url=system.url())
    opened = await context.new_page()
    opened.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    yield opened
    await context.close()


async def _status(api: SagaApi, key: str) -> dict[str, Any]:
    response = await api.http.get(f"{GROUPED}/sagas/{key}/status")
    response.raise_for_status()
    status: dict[str, Any] = response.json()
    return status


async def _settled(api: SagaApi, key: str) -> dict[str, Any]:
    return await eventually(lambda: _status(api, key), lambda s: s["phase"] in ("DONE", "PARKED"), timeout=30)


async def _events(api: SagaApi, key: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = (await api.http.get(f"{GROUPED}/sagas/{key}/history")).json()["events"]
    return events


def _seq(events: list[dict[str, Any]], kind: str, command: str) -> int:
    """Where in the history the first event of this kind and command is."""
    seq: int = next(e["seq"] for e in events if (e["type"], e["command"]) == (kind, command))
    return seq


def _edges(graph: dict[str, Any], kind: str) -> set[tuple[str, str]]:
    return {(edge["source"], edge["target"]) for edge in graph["edges"] if edge["kind"] == kind}


async def test_the_graph_shows_the_stages_the_group_and_the_pivot(api: SagaApi) -> None:
    graph = (await api.http.get(GROUPED)).json()
    listed = (await api.http.get("/workflows")).json()["workflows"]

    assert [(n["id"], n["stage"], n["group"], n["kind"], n["compensation"]) for n in graph["nodes"]] == [
        ("createOrder", 0, None, "compensable", "cancelOrder"),
        ("processPayment", 1, 1, "compensable", "cancelPayment"),
        ("reserveStock", 1, 1, "compensable", "releaseStock"),
        ("createShipment", 2, None, "pivot", None),
    ]
    payment, shipment = graph["nodes"][1], graph["nodes"][3]
    assert payment["outputs"] == ["paymentId"]
    assert {(n["when"], n["whenText"]) for n in graph["nodes"]} == {(None, None)}
    assert (shipment["deadlineSeconds"], shipment["maxAttempts"]) == (3, 2)
    assert _edges(graph, "next") == {
        ("createOrder", "processPayment"),
        ("createOrder", "reserveStock"),
        ("processPayment", "createShipment"),
        ("reserveStock", "createShipment"),
    }
    assert _edges(graph, "compensate") == {("processPayment", "createOrder"), ("reserveStock", "createOrder")}
    assert [workflow["name"] for workflow in listed] == ["grouped", "order"]


async def test_a_group_goes_out_together_and_the_next_stage_waits_for_both(api: SagaApi) -> None:
    key = random_ref("grouped")

    assert (await api.http.post(f"{GROUPED}/start", json=order(key))).status_code == 202

    assert (await _settled(api, key))["status"] == "COMPLETED"
    events = await _events(api, key)
    sent = [e["command"] for e in events if e["type"] == "COMMAND"]
    assert sent == ["createOrder", "processPayment", "reserveStock", "createShipment"]
    group = ("processPayment", "reserveStock")
    commands, replies = ([_seq(events, kind, step) for step in group] for kind in ("COMMAND", "REPLY"))
    assert max(commands) < min(replies), "both sent before either answered"
    assert max(replies) < _seq(events, "COMMAND", "createShipment"), "shipping waited for both"


@pytest.mark.ui
async def test_a_saga_past_its_pivot_is_not_cancelled_and_its_page_shows_it_parked_then_retried(
    api: SagaApi, system: System, page: Page
) -> None:
    key = random_ref("grouped")
    system.kill("shipping-service")  # so the pivot goes unanswered
    try:
        await api.http.post(f"{GROUPED}/start", json=order(key))
        await eventually(
            lambda: _events(api, key), lambda events: "createShipment" in {e["command"] for e in events}
        )
        refused = await api.http.post(f"{GROUPED}/sagas/{key}/cancel")
        assert (refused.status_code, refused.json()["detail"]) == (
            409,
            f"saga of grouped {key!r} is past its pivot createShipment and can no longer be cancelled",
        )
        assert (await _settled(api, key))["status"] == "COMPLETION_FAILED"

        await page.goto(f"/ui/sagas/grouped/{key}")
        await expect(page.locator("#status")).to_have_text("COMPLETION_FAILED")
        group = page.locator(".stage.parallel [data-step]")
        await expect(group).to_have_count(2)
        await expect(group.first).to_have_attribute("data-step", "processPayment")
        for step in ("processPayment", "reserveStock"):
            await expect(page.locator(f"[data-step='{step}']")).to_have_attribute("data-mark", "done")
        shipment = page.locator("[data-step='createShipment']")
        await expect(shipment).to_have_attribute("data-mark", "failed")
        await expect(shipment.locator(".kind")).to_have_text("pivot")
        await expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    finally:
        await asyncio.to_thread(system.restart, "shipping-service")
    await page.get_by_role("button", name="Retry").click()

    await expect(page.locator("#status")).to_have_text("COMPLETED", timeout=WAIT_MS)
    await expect(page.locator("[data-step='createShipment']")).to_have_attribute("data-mark", "done")
