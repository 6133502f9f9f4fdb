"""The workflows this orchestrator runs, by name: the definitions in the workflows folder
(`WORKFLOWS_DIR`, by default the one bundled here). `WORKFLOWS` reads them on first use."""

from functools import cache
from pathlib import Path

from pydantic_settings import BaseSettings

from saga_orchestrator.engine.definition import Workflow

BUNDLED = Path(__file__).parent


class WorkflowSettings(BaseSettings):
    workflows_dir: Path = BUNDLED


@cache
def current() -> dict[str, Workflow]:
    """Name -> the engine's view of each workflow's current definition."""
    from saga_orchestrator.workflows.loader import load  # noqa: PLC0415  (it imports this package)

    return {name: d.workflow for name, d in load(WorkflowSettings().workflows_dir).items()}


def __getattr__(name: str) -> dict[str, Workflow]:
    if name == "WORKFLOWS":
        return current()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
