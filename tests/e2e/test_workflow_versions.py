"""Deploying a changed workflow: the orchestrator restarts on a folder holding version 2 of the
order workflow, without its shipping step. The sagas held at shipping when it restarted finish on
version 1's steps; the sagas started afterwards follow version 2's."""

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from ops.broker_access import BrokerAccess
from ops.system import ORCHESTRATOR, System
from saga_orchestrator.workflows import BUNDLED
from tests.harness import SagaApi, order, running_system
from tests.infrastructure import Infrastructure
from tests.polling import eventually, random_ref

pytestmark = pytest.mark.e2e

# Held at shipping for as long as the test needs: no step times out meanwhile.
ENV = {"STEP_TIMEOUT_SECONDS": "300", "DB_POOL_SIZE": "4", "WAKE_INTERVAL_SECONDS": "0.1"}
V1_COMMANDS = ["createOrder", "processPayment", "reserveStock", "createShipment"]


@pytest.fixture(scope="module")
async def system(
    infra: Infrastructure, broker: BrokerAccess, run_id: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[System]:
    log_dir = tmp_path_factory.mktemp("versions-logs")
    async with running_system(infra, broker, f"{run_id}_versions_", log_dir, env=ENV) as running:
        yield running


def _folder(tmp_path: Path, **changes: Any) -> Path:
    """A workflows folder holding the bundled order workflow with `changes`."""
    document = {**yaml.safe_load((BUNDLED / "order.yaml").read_text()), **changes}
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "order.yaml").write_text(yaml.safe_dump(document))
    return folder


def _versions(listed: dict[str, Any]) -> list[tuple[int, bool, int]]:
    (order_workflow,) = [w for w in listed["workflows"] if w["name"] == "order"]
    return [(v["version"], v["current"], v["running"]) for v in order_workflow["versions"]]


async def test_sagas_running_on_v1_finish_on_v1_while_new_ones_follow_v2(
    system: System, tmp_path: Path
) -> None:
    v1 = yaml.safe_load((BUNDLED / "order.yaml").read_text())
    v2 = _folder(tmp_path, version=2, steps=v1["steps"][:3])
    held = [random_ref("order") for _ in range(3)]
    async with SagaApi(system.url()) as api:
        system.kill("shipping-service")
        for order_id in held:
            assert (await api.start(order(order_id))).status_code == 202
        for order_id in held:
            await eventually(partial(api.status, order_id), lambda s: s["status"] == "STOCK_RESERVED")

        system.restart(ORCHESTRATOR, env={"WORKFLOWS_DIR": str(v2)})
        after = random_ref("order")
        started = await api.http.post("/workflows/order/start", json=order(after), params={"wait": 30})
        listed = (await api.http.get("/workflows")).json()
        old_graph = (await api.http.get("/workflows/order", params={"version": 1})).json()
        system.restart("shipping-service")
        finished = [await api.finished(order_id, timeout=60) for order_id in held]

        assert (started.json()["version"], started.json()["status"]) == (2, "COMPLETED")
        assert await api.commands(after) == V1_COMMANDS[:3]
        assert _versions(listed) == [(1, False, len(held)), (2, True, 0)]
        assert [node["command"] for node in old_graph["nodes"]] == V1_COMMANDS
        for order_id, status in zip(held, finished, strict=True):
            assert status["status"] == "COMPLETED"
            assert await api.commands(order_id) == V1_COMMANDS
            assert "SHIPPED" in await api.states(order_id)
        assert _versions((await api.http.get("/workflows")).json()) == [(1, False, 0), (2, True, 0)]


def test_a_definition_changed_under_a_stored_version_stops_the_start(system: System, tmp_path: Path) -> None:
    edited = _folder(tmp_path, description="edited in place, still version 1")

    with pytest.raises(RuntimeError, match="exited"):
        system.restart(ORCHESTRATOR, env={"WORKFLOWS_DIR": str(edited)})

    log = system.log_path(ORCHESTRATOR).read_text()
    assert f"{edited / 'order.yaml'}: version 1 of workflow 'order' is stored with other content" in log
    system.restart(ORCHESTRATOR)


def test_an_invalid_workflow_file_stops_the_start_naming_file_and_problem(tmp_path: Path) -> None:
    v1 = yaml.safe_load((BUNDLED / "order.yaml").read_text())
    v1["steps"][1]["service"] = "billing"
    folder = _folder(tmp_path, steps=v1["steps"])
    unreachable = {"DATABASE_URL": "postgresql://root@127.0.0.1:1/none", "AMQP_URL": "amqp://127.0.0.1:1/"}

    refused = subprocess.run(
        [sys.executable, "-m", "saga_orchestrator"],
        env={**os.environ, **unreachable, "WORKFLOWS_DIR": str(folder)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert refused.returncode != 0
    assert f"cannot start: {folder / 'order.yaml'}: service 'billing' is not known" in refused.stderr
