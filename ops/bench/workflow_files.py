"""The workflows the bench's own systems run: the bundled files, and those shipped for the bench
alone in `workflows/` (the express order with its steps one after another, to measure what its
parallel group saves). The bench drives those whose input is an order's."""

import shutil
from pathlib import Path

from saga_orchestrator.workflows import BUNDLED, services
from saga_orchestrator.workflows.loader import Definition, read

BENCH_ONLY = Path(__file__).with_name("workflows")
DEFAULT = "order"


def files() -> list[Path]:
    return sorted([*BUNDLED.glob("*.yaml"), *BENCH_ONLY.glob("*.yaml")])


def definitions() -> dict[str, Definition]:
    """By name, each read and checked as the orchestrator reads it."""
    known = services.known()
    return {d.workflow.name: d for d in (read(path, known) for path in files())}


def drivable() -> list[str]:
    """The workflows whose sagas start from an order, as the bench's load sends them."""
    every = definitions()
    order_input = every[DEFAULT].source.input
    return sorted(name for name, d in every.items() if d.source.input == order_input)


def gathered(folder: Path) -> Path:
    """`folder`, emptied, holding a copy of every file: a system's WORKFLOWS_DIR."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for path in files():
        shutil.copy(path, folder)
    return folder
