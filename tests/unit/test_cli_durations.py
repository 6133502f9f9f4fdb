"""The command line's durations, as `saga list --stuck` takes them."""

import pytest
import typer

from saga_orchestrator.cli.tables import seconds

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "expected"), [("30s", 30), ("5m", 300), ("2h", 7200), ("1d", 86400), ("1.5", 1.5)]
)
def test_a_duration_is_read_in_seconds(text: str, expected: float) -> None:
    assert seconds(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "0s", "-5s", "5x", "5 m"])
def test_anything_else_is_a_usage_error(text: str) -> None:
    with pytest.raises(typer.BadParameter):
        seconds(text)
