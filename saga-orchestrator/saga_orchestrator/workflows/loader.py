"""Reads the workflow files of a folder, and refuses any that is not a sound definition: each
problem is named with the file it is in, so that start-up stops with a message to act on."""

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from saga_orchestrator.engine.definition import Workflow
from saga_orchestrator.workflows import services
from saga_orchestrator.workflows.inputs import input_model
from saga_orchestrator.workflows.model import WorkflowFile


class InvalidWorkflow(ValueError):
    """A workflow file that cannot run; the message names the file and the problem."""


@dataclass(frozen=True)
class Definition:
    """One version of a workflow: the file's content, its content hash and what the engine runs."""

    source: WorkflowFile
    digest: str
    workflow: Workflow
    origin: str  # where it was read: a file, or the database for a version no longer deployed

    @classmethod
    def of(cls, source: WorkflowFile, origin: str) -> "Definition":
        return cls(source, source.digest(), source.workflow(), origin)

    @cached_property
    def input_model(self) -> type[BaseModel]:
        return input_model(self.source.name, dict(self.source.input))


def load(folder: Path, known: dict[str, frozenset[str]] | None = None) -> dict[str, Definition]:
    """Every `*.yaml` workflow in `folder`, by name, each checked against the services' commands."""
    known = services.known() if known is None else known
    definitions: dict[str, Definition] = {}
    found: dict[str, Path] = {}
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise InvalidWorkflow(f"{folder}: no workflow files (*.yaml)")
    for path in paths:
        definition = read(path, known)
        name = definition.workflow.name
        if name in found:
            raise InvalidWorkflow(f"{path}: workflow {name!r} is defined in {found[name].name} too")
        found[name], definitions[name] = path, definition
    return definitions


def read(path: Path, known: dict[str, frozenset[str]]) -> Definition:
    try:
        source = WorkflowFile.model_validate(yaml.safe_load(path.read_text()))
        definition = Definition.of(source, str(path))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidWorkflow(f"{path}: cannot read it: {exc}") from None
    except ValidationError as exc:
        raise InvalidWorkflow(f"{path}: {_problems(exc)}") from None
    except ValueError as exc:  # the engine's own checks: a state or command used twice
        raise InvalidWorkflow(f"{path}: {exc}") from None
    if problem := _unhandled(definition.workflow, known):
        raise InvalidWorkflow(f"{path}: {problem}")
    return definition


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{_place(error['loc']) or 'the file'}: {error['msg'].removeprefix('Value error, ')}"
        for error in exc.errors()
    )


def _place(loc: tuple[int | str, ...]) -> str:
    """Where in the file, without the tags by which the model tells a step from a group (and one
    condition from another): a tag is empty, or repeats the key that follows it."""
    parts = [part for i, part in enumerate(loc) if part != "" and (i + 1 == len(loc) or part != loc[i + 1])]
    return ".".join(map(str, parts))


def _unhandled(workflow: Workflow, known: dict[str, frozenset[str]]) -> str | None:
    """Why some command of the workflow would reach no handler; None if each has one."""
    for step in workflow.steps:
        if step.service not in known:
            return f"service {step.service!r} is not known (known: {', '.join(sorted(known))})"
        for action in step.actions:
            if action.command not in known[step.service]:
                return f"service {step.service!r} has no handler for command {action.command!r}"
    return None
