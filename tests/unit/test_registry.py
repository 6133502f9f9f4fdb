"""The registry of services: every list of services is derived from the workflow definitions, so
they all agree, and a service a workflow names is launched, let onto the broker and given its
database without any list to edit."""

import re
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest

from ops import broker_access, namespace, registry
from ops.system import SystemConfig
from saga_orchestrator import workflows
from saga_orchestrator.engine.definition import Action, Step, Workflow
from shared import access, topology
from tests.integration.services import SERVICES as PARTICIPANTS

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
VHOST = "v1"
FAKE = Workflow(
    name="fake",
    key="fakeId",
    steps=(
        Step(
            service="fake",
            action=Action("doFake", reaches="FAKED"),
            compensation=Action("undoFake", reaches="FAKE_UNDONE"),
            carries=("fakeId",),
        ),
    ),
)


def _config(tmp_path: Path) -> SystemConfig:
    broker = broker_access.generated("amqp://127.0.0.1:5672/", VHOST, registry.services())
    return SystemConfig(namespace="n1_", broker=broker, database_passwords=tmp_path / "passwords.env")


def _users(services: tuple[str, ...]) -> dict[str, tuple[str, str, str]]:
    document = access.definitions(VHOST, services)
    return {p["user"]: (p["configure"], p["write"], p["read"]) for p in document["permissions"]}


@pytest.fixture
def fake_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A workflow whose one step names a service no list mentions."""
    monkeypatch.setattr(workflows, "WORKFLOWS", {**workflows.WORKFLOWS, FAKE.name: FAKE})
    yield "fake"


def test_the_services_are_those_the_workflows_name_each_once_in_step_order() -> None:
    named = [step.service for workflow in workflows.WORKFLOWS.values() for step in workflow.steps]
    assert registry.services() == tuple(dict.fromkeys(named))
    assert registry.services() == ("order", "payment", "inventory", "fraud", "shipping", "notification")


def test_every_list_derived_from_the_registry_agrees(tmp_path: Path) -> None:
    config = _config(tmp_path)
    services = registry.services()
    assert config.services == [*map(registry.folder, services), registry.ORCHESTRATOR]
    assert [login.package for login in config.database_logins()] == list(registry.packages())
    assert registry.packages() == ("saga_orchestrator", *(f"{s}_service" for s in services))
    assert set(_users(services)) == {access.user(role, VHOST) for role in access.roles(services)}
    assert set(config.access.passwords) == set(access.roles(services))
    assert [topology.command_queue(s, "n1_.") for s in services] == namespace.queues(config)[: len(services)]
    assert [spec.service for spec in PARTICIPANTS] == list(services)


@pytest.mark.parametrize("service", registry.services())
def test_a_services_package_handles_exactly_the_commands_the_workflows_send_it(service: str) -> None:
    sent = {
        action.command
        for workflow in workflows.WORKFLOWS.values()
        for step in workflow.steps
        if step.service == service
        for action in step.actions
    }
    assert set(registry.handlers(service)) == sent
    assert registry.settings_type(service).__module__ == f"{registry.package(service)}.settings"


def test_a_service_added_to_a_workflow_is_launched_as_its_folders_package(
    fake_service: str, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    assert "fake-service" in config.services
    assert config.command("fake-service")[-1] == "fake_service"
    environment = config.environment("fake-service")
    assert access.user_of(environment["AMQP_URL"]) == access.user("fake", VHOST)
    assert environment["DATABASE_URL"].endswith("/n1_fake_service")


def test_a_service_added_to_a_workflow_gets_its_broker_user_and_queue(fake_service: str) -> None:
    configure, write, read = _users(registry.services())[access.user(fake_service, VHOST)]
    assert re.search(read, topology.command_queue(fake_service))
    assert not re.search(read, topology.command_queue("order"))
    assert re.search(write, topology.reply_exchange())
    assert not re.search(write, topology.command_exchange())
    assert configure == "^$"
    document = access.definitions(VHOST, registry.services())
    assert topology.command_queue(fake_service) in {queue["name"] for queue in document["queues"]}


def test_a_service_added_to_a_workflow_gets_its_database_role_and_queues(
    fake_service: str, tmp_path: Path
) -> None:
    config = _config(tmp_path)
    logins = {login.package: login for login in config.database_logins()}
    assert logins["fake_service"].role == "n1_fake_service"
    assert topology.command_queue(fake_service, "n1_.") in namespace.queues(config)


def test_the_build_and_the_checkers_take_in_every_service() -> None:
    tools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    find = tools["setuptools"]["packages"]["find"]
    assert find["where"] == [".", registry.ORCHESTRATOR, *registry.workers()]  # setuptools has no glob here
    for package in registry.packages():
        assert any(fnmatch(package, pattern) for pattern in find["include"]), package
    linted = {path for pattern in tools["ruff"]["src"] for path in _expanded(pattern)}
    checked = {path for pattern in tools["mypy"]["files"] for path in _expanded(pattern)}
    for service in registry.services():
        assert ROOT / registry.folder(service) in linted
        assert ROOT / registry.folder(service) / registry.package(service) in checked


def _expanded(pattern: str) -> list[Path]:
    """The folders a glob names, as ruff and mypy expand it."""
    return [ROOT] if pattern == "." else sorted(ROOT.glob(pattern))
