"""The workflows the bench runs: the bundled ones and the express order's steps one after another,
and what one saga of each needs of the machine, counted from its steps."""

from pathlib import Path

import pytest

from ops.bench import workflow_files
from ops.bench.cost import SagaCost
from saga_orchestrator import workflows
from saga_orchestrator.engine.definition import Workflow
from saga_orchestrator.workflows.loader import load
from saga_orchestrator.workflows.model import ParallelFile
from tests.unit.test_registry import FAKE

pytestmark = pytest.mark.unit

ORDER = workflows.WORKFLOWS["order"]


def test_the_order_workflow_costs_a_command_and_a_reply_per_step_and_undoes_three_when_shipping_fails() -> (
    None
):
    # Four steps: four commands and replies; refused at shipping, the last, three compensations more.
    assert (SagaCost.of_mix(ORDER, 0), SagaCost.of_mix(ORDER, 1)) == (SagaCost(9, 8), SagaCost(15, 14))


def test_a_step_after_shipping_costs_only_the_sagas_that_get_past_it() -> None:
    longer = Workflow(name="longer", key=ORDER.key, steps=(*ORDER.steps, *FAKE.steps))
    assert (SagaCost.of_mix(longer, 0), SagaCost.of_mix(longer, 1)) == (SagaCost(11, 10), SagaCost(15, 14))


@pytest.mark.parametrize("name", ["express_order", "express_sequential"])
def test_an_express_order_of_the_bench_skips_the_fraud_check_and_nothing_undoes_the_notification(
    name: str,
) -> None:
    express = workflow_files.definitions()[name].workflow
    # Order, payment, stock, shipment, notification; refused at shipping: order, payment and stock undone.
    assert (SagaCost.of_mix(express, 0), SagaCost.of_mix(express, 1)) == (SagaCost(11, 10), SagaCost(15, 14))


def test_the_sequential_express_order_has_the_express_orders_steps_one_per_stage() -> None:
    every = workflow_files.definitions()
    express, sequential = every["express_order"], every["express_sequential"]

    assert sequential.source.flat_steps == express.source.flat_steps
    assert sequential.source.input == express.source.input
    assert not any(isinstance(entry, ParallelFile) for entry in sequential.source.steps)
    assert sequential.workflow.stages == tuple((place,) for place in range(len(sequential.workflow.steps)))


def test_the_bench_drives_every_workflow_that_starts_from_an_order_in_a_folder_the_orchestrator_loads(
    tmp_path: Path,
) -> None:
    assert workflow_files.drivable() == ["express_order", "express_sequential", "order"]

    folder = workflow_files.gathered(tmp_path / "workflows")

    assert sorted(load(folder)) == sorted(workflow_files.definitions())
    assert set(workflows.WORKFLOWS) < set(load(folder))
