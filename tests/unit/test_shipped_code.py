"""The code that ships has no test switch: faults are installed around it by the tests' own entry."""

import ast
import re
from pathlib import Path

import pytest

from ops import registry

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [
    "shared",
    "ops",
    f"{registry.ORCHESTRATOR}/{registry.ORCHESTRATOR_PACKAGE}",
    *(f"{registry.folder(service)}/{registry.package(service)}" for service in registry.services()),
]
FAULT_SWITCH = re.compile(r"\bFAULT_")  # not DEFAULT_...
SOURCES = sorted(path for folder in SHIPPED for path in (ROOT / folder).rglob("*.py"))


def _imported(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_shipped_code_imports_nothing_of_the_tests_and_reads_no_fault_switch() -> None:
    offenders = []
    for path in SOURCES:
        source = path.read_text()
        imported = _imported(ast.parse(source))
        if any(name == "tests" or name.startswith("tests.") for name in imported) or FAULT_SWITCH.search(
            source
        ):
            offenders.append(str(path.relative_to(ROOT)))
    assert all((ROOT / folder).is_dir() for folder in SHIPPED)  # none was moved away unnoticed
    assert offenders == []
