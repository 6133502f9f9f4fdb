"""Workflow files: the bundled order.yaml and express-order.yaml, the shipped schema and services list
kept current, and each kind of invalid definition refused with a message naming its file and the
problem."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from saga_orchestrator.workflows import BUNDLED, WORKFLOWS, schema, services
from saga_orchestrator.workflows.loader import InvalidWorkflow, load
from saga_orchestrator.workflows.model import WorkflowFile

pytestmark = pytest.mark.unit

ROOT = Path(__file__).parents[2]
ORDER_YAML = BUNDLED / "order.yaml"

Edit = Callable[[dict[str, Any]], object]


def _order() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(ORDER_YAML.read_text())
    return document


def _write(folder: Path, document: dict[str, Any], name: str = "order.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(document))
    return path


def test_the_shipped_json_schema_is_the_models() -> None:
    assert schema.SCHEMA.read_text() == schema.render(), "run python -m saga_orchestrator.workflows.schema"


def test_the_shipped_services_list_is_what_the_handlers_dicts_handle() -> None:
    assert json.loads(services.MANIFEST.read_text()) == services.from_handlers(ROOT), (
        "run python -m saga_orchestrator.workflows.services"
    )


@pytest.mark.parametrize(("name", "file"), [("order", "order.yaml"), ("express_order", "express-order.yaml")])
def test_the_bundled_folder_holds_the_order_workflows_at_version_1(name: str, file: str) -> None:
    definitions = load(BUNDLED)

    assert sorted(definitions) == ["express_order", "order"]
    assert definitions[name].workflow == WORKFLOWS[name]
    assert definitions[name].workflow.version == 1
    assert definitions[name].origin == str(BUNDLED / file)


def test_the_digest_is_of_the_content_not_of_its_layout() -> None:
    document = _order()
    reordered = dict(reversed(list(document.items())))
    changed = {**document, "description": "another"}

    digest = WorkflowFile.model_validate(document).digest()

    assert WorkflowFile.model_validate(reordered).digest() == digest
    assert WorkflowFile.model_validate(changed).digest() != digest


def _step(index: int, **changes: Any) -> Edit:
    return lambda d: d["steps"][index].update(changes)


def _action(index: int, part: str, **changes: Any) -> Edit:
    return lambda d: d["steps"][index][part].update(changes)


INVALID: dict[str, tuple[Edit, str]] = {
    "no-steps": (lambda d: d.update(steps=[]), "steps: List should have at least 1 item"),
    "missing-version": (lambda d: d.pop("version"), "version: Field required"),
    "version-zero": (lambda d: d.update(version=0), "version: Input should be greater than or equal to 1"),
    "unknown-field": (lambda d: d.update(retries=3), "retries: Extra inputs are not permitted"),
    "bad-name": (lambda d: d.update(name="Order Saga"), "name: String should match pattern"),
    "state-twice": (_action(1, "action", reaches="ORDER_CREATED"), "reuses a state name"),
    "engine-state": (_action(0, "compensation", reaches="FAILED"), "reuses a state name"),
    "command-twice": (_action(1, "compensation", command="cancelOrder"), "reuses a command name"),
    "unknown-service": (_step(2, service="billing"), "service 'billing' is not known"),
    "unhandled-command": (
        _action(1, "action", command="chargeCard"),
        "service 'payment' has no handler for command 'chargeCard'",
    ),
    "key-not-input": (lambda d: d.update(key="customerId"), "the key 'customerId' is not an input field"),
    "key-not-identifier": (lambda d: d.update(key="quantity"), "the key 'quantity' must be an identifier"),
    "undeclared-carry": (_step(0, carries=["orderId", "colour"]), "carries undeclared input ['colour']"),
    "unknown-type": (lambda d: d["input"].update(amount="money"), "input.amount: Input should be"),
    "zero-deadline": (
        _step(3, deadline_seconds=0),
        "steps.3.deadline_seconds: Input should be greater than 0",
    ),
    "zero-attempts": (
        _step(3, max_attempts=0),
        "steps.3.max_attempts: Input should be greater than or equal",
    ),
}


@pytest.mark.parametrize("edit", INVALID.values(), ids=INVALID.keys())
def test_an_invalid_definition_is_refused_naming_its_file_and_the_problem(
    tmp_path: Path, edit: tuple[Edit, str]
) -> None:
    change, problem = edit
    document = _order()
    change(document)
    path = _write(tmp_path, document)

    with pytest.raises(InvalidWorkflow) as refused:
        load(tmp_path)

    assert str(refused.value).startswith(f"{path}: ")
    assert problem in str(refused.value)


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "order.yaml").write_text("name: order\nsteps: [unclosed\n")

    with pytest.raises(InvalidWorkflow, match=r"order\.yaml: cannot read it"):
        load(tmp_path)


def test_two_files_defining_one_workflow_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, _order())
    copy = _write(tmp_path, {**_order(), "version": 2}, "second.yaml")

    with pytest.raises(InvalidWorkflow, match=r"workflow 'order' is defined in order\.yaml too") as refused:
        load(tmp_path)

    assert str(refused.value).startswith(str(copy))


def test_a_folder_without_workflows_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidWorkflow, match="no workflow files"):
        load(tmp_path)


def test_step_overrides_are_read_and_other_workflows_sit_beside_the_order_one(tmp_path: Path) -> None:
    document = _order()
    document["steps"][3].update(deadline_seconds=600, max_attempts=1)
    _write(tmp_path, document)
    _write(tmp_path, {**_order(), "name": "restock", "steps": _order()["steps"][2:3]}, "restock.yaml")

    definitions = load(tmp_path)

    assert sorted(definitions) == ["order", "restock"]
    shipping = definitions["order"].workflow.steps[3].overrides
    assert (shipping.step_timeout, shipping.max_attempts, shipping.backoff_cap) == (600, 1, None)
    assert definitions["restock"].workflow.services == ("inventory",)
