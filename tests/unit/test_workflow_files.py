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


@pytest.mark.parametrize("name", ["order", "express_order"])
def test_a_bundled_workflow_as_stored_reads_back_as_the_same_definition(name: str) -> None:
    """The orchestrator stores each definition's canonical form and reads it back at every start."""
    source = load(BUNDLED)[name].source

    stored = WorkflowFile.model_validate(json.loads(json.dumps(source.canonical())))

    assert (stored.workflow(), stored.digest()) == (source.workflow(), source.digest())


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


def _kind(index: int, kind: str) -> Edit:
    """Makes the step a pivot or retriable, which has no compensation."""

    def edit(d: dict[str, Any]) -> None:
        d["steps"][index].update(kind=kind)
        d["steps"][index].pop("compensation")

    return edit


def _both(*edits: Edit) -> Edit:
    return lambda d: [edit(d) for edit in edits]


def _group(first: int, *changes: dict[str, Any]) -> Edit:
    """Puts the step at `first` and the next into one parallel group, each updated with its changes."""

    def edit(d: dict[str, Any]) -> None:
        members = d["steps"][first : first + 2]
        for member, change in zip(members, changes, strict=False):
            member.update(change)
        d["steps"][first : first + 2] = [{"parallel": members}]

    return edit


def _when(index: int, condition: Any) -> Edit:
    return _step(index, when=condition)


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
    "no-compensation": (
        lambda d: d["steps"][1].pop("compensation"),
        "step processPayment has no compensation: give it one, or declare it a pivot or retriable",
    ),
    "pivot-compensated": (_step(3, kind="pivot"), "step createShipment is pivot, which is never compensated"),
    "undoable-after-pivot": (
        _kind(2, "pivot"),
        "step createShipment is compensable but follows the pivot, after which nothing is undone",
    ),
    "retriable-before-pivot": (
        _kind(3, "retriable"),
        "step createShipment is retriable, so it must follow a pivot",
    ),
    "two-pivots": (_both(_kind(2, "pivot"), _kind(3, "pivot")), "has more than one pivot"),
    "pivot-in-group": (
        _both(_kind(3, "pivot"), _group(2)),
        "step createShipment is the pivot, which cannot be one of a parallel group",
    ),
    "conditional-pivot": (
        _both(_kind(3, "pivot"), _when(3, {"ref": "input.amount", "gt": 5})),
        "step createShipment is the pivot, which decides the saga and cannot be skipped",
    ),
    "unknown-kind": (_step(3, kind="optional"), "steps.3.kind: Input should be 'compensable', 'pivot'"),
    "group-of-one": (
        lambda d: d["steps"].__setitem__(1, {"parallel": [d["steps"][1]]}),
        "steps.1.parallel: List should have at least 2 items",
    ),
    "group-member-invalid": (
        _group(1, {}, {"deadline_seconds": -1}),
        "steps.1.parallel.1.deadline_seconds: Input should be greater than 0",
    ),
    "undeclared-output": (
        _step(3, carries=["orderId", "processPayment.receipt"]),
        "step createShipment refers to processPayment.receipt, which processPayment does not declare",
    ),
    "output-of-no-step": (
        _step(3, carries=["orderId", "chargeCard.receipt"]),
        "refers to chargeCard.receipt, but no step starts with command chargeCard",
    ),
    "output-not-yet-known": (
        _both(_step(1, outputs=["paymentId"]), _step(0, carries=["orderId", "processPayment.paymentId"])),
        "step createOrder refers to processPayment.paymentId, which is not known before it runs",
    ),
    "output-of-a-sibling": (
        _both(
            _step(1, outputs=["paymentId"]),
            _group(1, {}, {"carries": ["orderId", "processPayment.paymentId"]}),
        ),
        "step reserveStock refers to processPayment.paymentId, which is not known before it runs",
    ),
    "bad-reference": (
        _step(3, carries=["orderId", "a.b.c"]),
        "steps.3.carries.1: String should match pattern",
    ),
    "two-operators": (
        _when(3, {"ref": "input.amount", "gt": 1, "lt": 5}),
        "the comparison of input.amount needs exactly one of eq, ne, gt, ge, lt, le, in",
    ),
    "no-operator": (_when(3, {"ref": "input.amount"}), "needs exactly one of"),
    "condition-undeclared-input": (
        _when(3, {"all": [{"ref": "input.colour", "eq": "red"}]}),
        "the condition of step createShipment reads undeclared input input.colour",
    ),
    "condition-wrong-type": (
        _when(3, {"not": {"ref": "input.orderId", "gt": 5}}),
        "compares input.orderId, of type identifier, with other than text",
    ),
    "condition-unknown-shape": (
        _when(3, {"some": [{"ref": "input.amount", "gt": 5}]}),
        "steps.3.when.ref: Field required",
    ),
    "condition-on-own-output": (
        _both(_step(3, outputs=["shipmentId"]), _when(3, {"ref": "createShipment.shipmentId", "eq": "s"})),
        "the condition of step createShipment refers to createShipment.shipmentId, which is not known",
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


def test_the_order_workflow_keeps_the_digest_it_was_first_stored_under() -> None:
    """Fields the format gained later are left out of the hash while they hold their defaults, so a
    database that stored version 1 still accepts the file as version 1."""
    digest = WorkflowFile.model_validate(_order()).digest()

    assert digest == "3458f7eea64f42623e9ce90820fdf036ae9148b2a1dc7036f6d5dff375760ddb"


def test_groups_kinds_conditions_and_outputs_are_read_into_stages(tmp_path: Path) -> None:
    document = _order()
    document["steps"][1]["outputs"] = ["paymentId"]
    document["steps"][1]["compensation"]["carries"] = ["processPayment.paymentId"]
    _both(
        _kind(3, "pivot"),
        _step(3, carries=["orderId", "processPayment.paymentId"]),
        _when(2, {"any": [{"ref": "input.quantity", "ge": 2}, {"ref": "input.productId", "in": ["a", "b"]}]}),
        _group(1),
    )(document)
    _write(tmp_path, document)

    workflow = load(tmp_path)["order"].workflow

    assert workflow.stages == ((0,), (1, 2), (3,))
    assert workflow.pivot == 3
    assert workflow.steps[3].compensation is None
    assert workflow.steps[1].compensation is not None
    assert workflow.steps[1].compensation.carries == ("processPayment.paymentId",)
    assert workflow.steps[2].when is not None


def test_a_definition_reads_back_from_its_stored_form_with_the_same_digest() -> None:
    document = _order()
    _both(
        _when(1, {"ref": "input.productId", "eq": None}),
        _when(2, {"not": {"ref": "input.productId", "in": ["a"]}}),
        _step(3, when={"any": [{"ref": "input.quantity", "gt": 2}, {"ref": "input.amount", "le": 5}]}),
    )(document)
    source = WorkflowFile.model_validate(document)

    stored = WorkflowFile.model_validate(json.loads(json.dumps(source.canonical())))

    assert stored == source
    assert stored.digest() == source.digest()


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
