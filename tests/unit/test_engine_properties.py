"""Properties of the engine over random workflows (stages, groups, a pivot, retriable steps,
conditions, outputs) and random events (replies of every kind, timeouts, cancels, resumes, crashes).

Each test plays scenarios to their end and checks one property of what was sent and recorded, read
from the trace alone; conditions are judged by a reading of their own, not the engine's.
"""

import operator
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from saga_orchestrator.engine.conditions import AllOf, AnyOf, Compare, Condition, Not, Ref
from saga_orchestrator.engine.definition import CANCELLED, COMPLETED, COMPLETION_FAILED, FAILED, StepKind
from saga_orchestrator.engine.state import Kind, Phase, RunStatus
from tests.unit.scenario_player import Crashes, play
from tests.unit.trace_reading import Reading
from tests.unit.workflow_strategies import UNDECLARED, Act, Scenario, scenarios

pytestmark = pytest.mark.unit

# The same examples on every run; a failure found is shown, not kept for the next.
PROPERTY = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TURNED_BACK = (FAILED, CANCELLED)


@PROPERTY
@given(scenarios)
def test_exactly_the_steps_that_may_have_run_are_compensated(scenario: Scenario) -> None:
    reading = Reading(scenario, *play(scenario))
    saga, owed = reading.saga, reading.owed()
    compensated = {step for step, _, _ in reading.compensations()}

    if saga.outcome not in TURNED_BACK:
        assert not compensated, f"a saga that never turned back compensated steps {compensated}"
    elif saga.phase is Phase.DONE:
        assert compensated == owed, f"compensated {compensated}, but {owed} were sent and not refused"
        undone = {step for step in owed if reading.succeeded(reading.undo(step))}
        assert undone == owed, f"ended {saga.outcome} with only {undone} of {owed} compensated"
    else:
        assert saga.phase is Phase.PARKED, f"a saga left {saga.phase} by the end of its scenario"
        assert compensated <= owed, f"compensated {compensated - owed}, which were refused or never sent"


@PROPERTY
@given(scenarios)
def test_compensations_go_stage_by_stage_in_reverse(scenario: Scenario) -> None:
    reading = Reading(scenario, *play(scenario))
    owed = reading.owed()

    for step, place, _ in reading.compensations():
        stage = reading.stage_of(step)
        later = [other for other in owed if reading.stage_of(other) > stage]
        pending = [reading.undo(other) for other in later]
        pending = [undo for undo in pending if not reading.succeeded_before(undo, place)]
        assert not pending, (
            f"{reading.undo(step)} of stage {stage} sent before {pending} of later ones succeeded"
        )


@PROPERTY
@given(scenarios)
def test_no_step_is_compensated_before_its_reply_or_its_deadline(scenario: Scenario) -> None:
    reading = Reading(scenario, *play(scenario))

    for step, place, at in reading.compensations():
        command = reading.workflow.steps[step].name
        sends = [deadline for sent, deadline in reading.sends.get(command, []) if sent < place]
        assert sends, f"{command} compensated without ever being sent"
        answered = reading.succeeded_before(command, place)
        assert answered or sends[-1] <= at, f"{command} compensated at {at}, its reply due at {sends[-1]}"


@PROPERTY
@given(scenarios)
def test_nothing_is_undone_once_the_pivot_succeeded_nor_cancelled_once_it_was_sent(
    scenario: Scenario,
) -> None:
    reading = Reading(scenario, *play(scenario))
    pivot = reading.workflow.pivot
    pivot_name = None if pivot is None else reading.workflow.steps[pivot].name
    decided = reading.answers.get((pivot_name, True), []) if pivot_name else []

    late = [place for _, place, _ in reading.compensations() if decided and place > decided[0]]
    assert not late, f"compensations sent at {late}, after the pivot succeeded at {decided[0]}"
    for asked in reading.trace.asked:
        if asked.act is Act.CANCEL:
            assert not (asked.taken and asked.pivot_sent), "a cancel taken after the pivot was sent"
            allowed = asked.phase is Phase.FORWARD and not asked.pivot_sent
            said = f"a cancel in {asked.phase}, the pivot sent: {asked.pivot_sent}"
            assert asked.taken is allowed, f"{said}, taken: {asked.taken}"


@PROPERTY
@given(scenarios)
def test_a_retriable_step_succeeds_or_parks_the_saga(scenario: Scenario) -> None:
    reading = Reading(scenario, *play(scenario))
    workflow, saga = reading.workflow, reading.saga
    pivot = workflow.pivot
    if pivot is None or not reading.succeeded(workflow.steps[pivot].name):
        return
    assert saga.status in (COMPLETED, COMPLETION_FAILED), f"past the pivot, the saga ended {saga.status}"
    for place, step in enumerate(workflow.steps):
        if step.kind is not StepKind.RETRIABLE:
            continue
        run = reading.trace.rows.get((place, Kind.FORWARD))
        status = run.status if run else None
        assert status in (RunStatus.SUCCEEDED, RunStatus.SKIPPED, RunStatus.PARKED, None), (
            f"retriable {step.name} given up: {status}"
        )
        if saga.status == COMPLETED:
            done = reading.succeeded(step.name) or reading.skipped(step.name)
            assert done, f"completed without a success of retriable {step.name}"
    if saga.status == COMPLETION_FAILED:
        parked = [run for run in saga.runs if run.status is RunStatus.PARKED]
        kinds = {workflow.steps[run.step].kind for run in parked}
        assert kinds and StepKind.COMPENSABLE not in kinds, f"parked in {saga.status} on {kinds}"


@PROPERTY
@given(scenarios)
def test_a_step_is_sent_exactly_when_its_stage_is_reached_and_its_condition_holds(scenario: Scenario) -> None:
    reading = Reading(scenario, *play(scenario))
    workflow = reading.workflow
    reached = [
        stage
        for stage, places in enumerate(workflow.stages)
        if any(
            reading.sent(workflow.steps[p].name) or reading.skipped(workflow.steps[p].name) for p in places
        )
    ]
    assert reached == list(range(len(reached))), f"stages reached out of order: {reached}"

    for stage in reached:
        for place in workflow.stages[stage]:
            step = workflow.steps[place]
            runs = step.when is None or holds(step.when, lambda ref: reading.value(ref, ABSENT))
            said = f"{step.name}, whose condition {'holds' if runs else 'does not hold'}"
            assert reading.sent(step.name) is runs, f"{said}, sent: {reading.sent(step.name)}"
            assert reading.skipped(step.name) is not runs, f"{said}, skipped: {reading.skipped(step.name)}"
            if not runs:
                undo = step.compensation
                assert undo is None or not reading.sent(undo.command), f"skipped {step.name} compensated"
                assert reading.trace.rows[place, Kind.FORWARD].status is RunStatus.SKIPPED
        if stage < reached[-1]:  # a later stage is reached only after every step of this one succeeded
            for place in workflow.stages[stage]:
                step = workflow.steps[place]
                ok = reading.skipped(step.name) or reading.succeeded(step.name)
                assert ok, f"stage {stage + 1} reached before {step.name} succeeded"


@PROPERTY
@given(scenarios)
def test_each_command_carries_its_declared_inputs_and_the_outputs_known(scenario: Scenario) -> None:
    reading = Reading(scenario, *play(scenario))
    steps = {action.command: (step, action) for step in reading.workflow.steps for action in step.actions}

    for place, entry in enumerate(reading.trace.history):
        if entry.dispatch is None:
            continue
        step, action = steps[entry.dispatch.command]
        expected: dict[str, Any] = {}
        for carried in (*step.carries, *action.carries):
            if "." not in carried:
                expected[carried] = reading.input[carried]
                continue
            ref = Ref.parse(carried)
            if reading.succeeded_before(ref.source, place) and ref.field in reading.results[ref.source]:
                expected[ref.field] = reading.results[ref.source][ref.field]
        payload = entry.dispatch.payload
        assert UNDECLARED not in payload, f"{action.command} carries a field no definition declares"
        assert payload == expected, f"{action.command} carried {payload}, not {expected}"


@PROPERTY
@given(scenarios)
def test_a_completed_saga_ran_every_step_not_skipped_and_undid_nothing(scenario: Scenario) -> None:
    reading = Reading(scenario, *play(scenario))
    if reading.saga.status != COMPLETED:
        return
    for step in reading.workflow.steps:
        ran = reading.sent(step.name) and reading.succeeded(step.name)
        assert ran is not reading.skipped(step.name), f"{step.name} neither succeeded nor was skipped"
    assert not reading.compensations(), "a completed saga sent compensations"


@PROPERTY
@given(scenarios)
def test_a_saga_read_back_after_a_crash_goes_on_as_if_it_had_stayed_in_memory(scenario: Scenario) -> None:
    crashed, crashed_saga = play(scenario, Crashes.ALWAYS)
    kept, kept_saga = play(scenario, Crashes.NEVER)

    for place, (after, before) in enumerate(zip(crashed.history, kept.history, strict=False)):
        assert after == before, f"history differs at record {place}: {after} after a crash, {before} without"
    assert len(crashed.history) == len(kept.history)
    assert crashed.asked == kept.asked
    assert crashed.rows == kept.rows
    assert replace(crashed_saga, runs=()) == replace(kept_saga, runs=())


# A reading of conditions of their own, as the conditions module states them: a reference to
# nothing makes every comparison false, numbers compare by value, a decimal string as its number.

ABSENT: Any = object()
_ORDER: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def holds(condition: Condition, value: Callable[[Ref], Any]) -> bool:
    match condition:
        case Compare(ref, op, expected):
            actual = value(ref)
            return actual is not ABSENT and _compares(actual, op, expected)
        case AllOf(terms):
            return all(holds(term, value) for term in terms)
        case AnyOf(terms):
            return any(holds(term, value) for term in terms)
        case Not(term):
            return not holds(term, value)


def _compares(actual: Any, op: str, expected: Any) -> bool:
    if op == "in":
        return any(_same(actual, option) for option in expected)
    if op in ("eq", "ne"):
        return _same(actual, expected) is (op == "eq")
    left, right = _number(actual), _number(expected)
    return left is not None and right is not None and _ORDER[op](left, right)


def _same(actual: Any, expected: Any) -> bool:
    """Numbers are equal by value, a decimal string equal to the number it spells."""
    if isinstance(expected, int | float):
        return _number(actual) == expected
    return bool(actual == expected)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
