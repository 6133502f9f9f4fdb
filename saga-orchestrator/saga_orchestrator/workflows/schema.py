"""Writes the workflow files' JSON Schema from the model: `python -m saga_orchestrator.workflows.schema`."""

import json
from pathlib import Path

from saga_orchestrator.workflows.model import WorkflowFile

SCHEMA = Path(__file__).with_name("workflow.schema.json")


def render() -> str:
    return json.dumps(WorkflowFile.model_json_schema(), indent=2) + "\n"


if __name__ == "__main__":
    SCHEMA.write_text(render())
