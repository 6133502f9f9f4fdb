"""A definition as the graph `GET /workflows/{name}` returns: nodes in their stages, with kind,
condition and outputs; edges that follow the stages forward and the compensable steps back."""

from typing import Any

import pytest
from pydantic import TypeAdapter

from saga_orchestrator.api.condition_view import as_data, as_text
from saga_orchestrator.api.workflow_view import graph
from saga_orchestrator.engine.conditions import Condition
from saga_orchestrator.workflows import BUNDLED
from saga_orchestrator.workflows.loader import read
from saga_orchestrator.workflows.model import ConditionFile
from saga_orchestrator.workflows.services import known
from tests.unit.grouped_workflow import GROUPED

pytestmark = pytest.mark.unit


def _edges(drawn: dict[str, Any], kind: str) -> set[tuple[str, str]]:
    return {(edge["source"], edge["target"]) for edge in drawn["edges"] if edge["kind"] == kind}


def test_each_node_has_its_stage_group_kind_condition_and_outputs() -> None:
    drawn = graph(GROUPED).model_dump(mode="json", by_alias=True)

    assert [
        (node["id"], node["stage"], node["group"], node["kind"], node["compensation"], node["outputs"])
        for node in drawn["nodes"]
    ] == [
        ("doOpen", 0, None, "compensable", "undoOpen", []),
        ("doPay", 1, 1, "compensable", "undoPay", ["paymentId"]),
        ("doReserve", 1, 1, "compensable", "undoReserve", []),
        ("doCheck", 2, None, "compensable", "undoCheck", []),
        ("doShip", 3, None, "pivot", None, []),
        ("doNotify", 4, None, "retriable", None, []),
    ]
    check = drawn["nodes"][3]
    assert check["when"] == {
        "any": [
            {"ref": "input.amount", "gt": 1000},
            {"all": [{"ref": "input.wrap", "in": ["gift", "box"]}, {"ref": "doPay.paymentId", "ne": None}]},
        ]
    }
    assert (
        check["whenText"]
        == 'input.amount > 1000 or (input.wrap in ["gift", "box"] and doPay.paymentId != null)'
    )
    assert drawn["nodes"][0]["when"] is drawn["nodes"][0]["whenText"] is None


def test_next_edges_join_every_step_of_a_stage_to_every_step_of_the_next() -> None:
    assert _edges(graph(GROUPED).model_dump(), "next") == {
        ("doOpen", "doPay"),
        ("doOpen", "doReserve"),
        ("doPay", "doCheck"),
        ("doReserve", "doCheck"),
        ("doCheck", "doShip"),
        ("doShip", "doNotify"),
    }


def test_compensate_edges_lead_back_between_compensable_steps_never_out_of_the_pivot_or_past_it() -> None:
    assert _edges(graph(GROUPED).model_dump(), "compensate") == {
        ("doPay", "doOpen"),
        ("doReserve", "doOpen"),
        ("doCheck", "doPay"),
        ("doCheck", "doReserve"),
    }


def test_a_straight_workflow_is_one_step_a_stage_each_undone_in_reverse() -> None:
    drawn = graph(read(BUNDLED / "order.yaml", known())).model_dump()

    assert [(node["id"], node["stage"], node["group"]) for node in drawn["nodes"]] == [
        ("createOrder", 0, None),
        ("processPayment", 1, None),
        ("reserveStock", 2, None),
        ("createShipment", 3, None),
    ]
    forward = _edges(drawn, "next")
    assert forward == {
        ("createOrder", "processPayment"),
        ("processPayment", "reserveStock"),
        ("reserveStock", "createShipment"),
    }
    assert _edges(drawn, "compensate") == {(target, source) for source, target in forward}


# Each condition as a file writes it, and as the dashboard shows it.
CONDITIONS = [
    ({"ref": "input.amount", "gt": 1000}, "input.amount > 1000"),
    ({"ref": "input.quantity", "le": 2.5}, "input.quantity <= 2.5"),
    ({"ref": "input.productId", "eq": "item-001"}, 'input.productId == "item-001"'),
    (
        {"ref": "processPayment.status", "in": ["CHARGED", True, None, 7]},
        'processPayment.status in ["CHARGED", true, null, 7]',
    ),
    ({"not": {"ref": "input.amount", "lt": 10}}, "not (input.amount < 10)"),
    (
        {
            "all": [
                {"ref": "input.amount", "ge": 10},
                {"any": [{"ref": "a.b", "ne": 1}, {"ref": "a.c", "eq": False}]},
            ]
        },
        "input.amount >= 10 and (a.b != 1 or a.c == false)",
    ),
]


def _condition(written: dict[str, Any]) -> Condition:
    parsed: Any = TypeAdapter(ConditionFile).validate_python(written)
    condition: Condition = parsed.condition()
    return condition


@pytest.mark.parametrize(("written", "text"), CONDITIONS)
def test_a_condition_is_shown_as_the_file_writes_it_and_as_a_line_of_text(
    written: dict[str, Any], text: str
) -> None:
    condition = _condition(written)

    assert as_data(condition) == written
    assert _condition(as_data(condition)) == condition
    assert as_text(condition) == text
