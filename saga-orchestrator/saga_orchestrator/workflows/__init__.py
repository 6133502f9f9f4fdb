"""The workflows this orchestrator runs, by name."""

from saga_orchestrator.engine.definition import Workflow
from saga_orchestrator.workflows.order import ORDER_WORKFLOW

WORKFLOWS: dict[str, Workflow] = {ORDER_WORKFLOW.name: ORDER_WORKFLOW}
