"""Random workflows, inputs and event sequences for the engine's property tests.

A workflow has one to six stages of one to three steps: compensable steps, then perhaps a pivot
alone in its stage and retriable steps after it. Steps may read conditions on the input or on an
earlier stage's outputs, and carry input fields and earlier outputs; each is built through the
definition itself, whose checks must accept it.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hypothesis import strategies as st

from saga_orchestrator.engine.conditions import (
    INPUT,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Not,
    Operator,
    Ref,
    Scalar,
)
from saga_orchestrator.engine.definition import Action, Overrides, Step, StepKind, Workflow

CARRIED = ("id", "amount", "region")  # every input has them, so any step may carry them
AMOUNTS = (0, 3, 7.5, 10, 25, "7.5", "12")  # amounts travel as numbers or as decimal strings
THRESHOLDS = (0, 5, 7.5, 10, 20)
REGIONS: tuple[Scalar, ...] = ("eu", "us")
# An input may have no coupon: a condition on it then does not hold.
COUPONS: tuple[Scalar, ...] = ("SPRING", "VIP")
VALUES: tuple[Scalar, ...] = ("red", "blue", 2, 7.5, "4")  # what a result's fields hold
UNDECLARED = "extra"  # a result field no definition declares, so no command may carry it
SERVICES = ("alpha", "beta", "gamma")


def names(place: int) -> tuple[str, str, str, str]:
    """The command, state, compensation and compensated state of the step at `place`."""
    return f"do{place}", f"DID{place}", f"undo{place}", f"UNDID{place}"


@st.composite
def workflows(draw: st.DrawFn) -> Workflow:
    stage_count = draw(st.integers(1, 6))
    pivot = draw(st.none() | st.integers(0, stage_count - 1))
    steps: list[Step] = []
    known: list[str] = []  # the outputs of the stages so far, as <command>.<field>
    for stage in range(stage_count):
        kind = _kind(stage, pivot)
        size = 1 if kind is StepKind.PIVOT else draw(st.integers(1, 3))
        # A group per stage, numbered by the stage, so that neighbouring stages never merge.
        group = stage if size > 1 else draw(st.sampled_from((None, stage)))
        members = [_step(draw, len(steps) + k, kind, group, tuple(known)) for k in range(size)]
        steps.extend(members)
        known.extend(f"{step.name}.{output}" for step in members for output in step.outputs)
    return Workflow("random", key="id", steps=tuple(steps))


def _kind(stage: int, pivot: int | None) -> StepKind:
    if pivot is None or stage < pivot:
        return StepKind.COMPENSABLE
    return StepKind.PIVOT if stage == pivot else StepKind.RETRIABLE


# Drawn piece by piece from strategies made once: strategies made afresh for each step (a
# recursive one above all) would cost most of the test's time in their own checks.


def _step(draw: st.DrawFn, place: int, kind: StepKind, group: int | None, known: tuple[str, ...]) -> Step:
    command, reaches, undo, undone = names(place)
    outputs = _subset(draw, (f"out{place}a", f"out{place}b"))
    carries = (*_subset(draw, CARRIED), *_subset(draw, known, 2))
    extra = _subset(draw, tuple(ref for ref in known if ref not in carries), 1)
    compensation = None
    if kind is StepKind.COMPENSABLE:
        own = tuple(f"{command}.{output}" for output in outputs)
        undo_carries = _subset(draw, tuple(ref for ref in (*own, *known) if ref not in carries), 2)
        compensation = Action(undo, undone, undo_carries)
    conditional = kind is not StepKind.PIVOT and draw(st.booleans())
    return Step(
        service=draw(st.sampled_from(SERVICES)),
        action=Action(command, reaches, extra),
        compensation=compensation,
        carries=carries,
        overrides=draw(_OVERRIDES),
        kind=kind,
        group=group,
        when=_condition(draw, known) if conditional else None,
        outputs=outputs,
    )


def _subset(draw: st.DrawFn, items: tuple[str, ...], most: int | None = None) -> tuple[str, ...]:
    """Some of the items, chosen by one number's bits."""
    mask = draw(st.integers(0, 2 ** len(items) - 1)) if items else 0
    return tuple(item for bit, item in enumerate(items) if mask >> bit & 1)[:most]


_ATTEMPTS = st.none() | st.integers(1, 3)
_OVERRIDES = st.builds(
    Overrides,
    step_timeout=st.sampled_from((None, 1.0, 2.0)),
    max_attempts=_ATTEMPTS,
    compensation_max_attempts=_ATTEMPTS,
)


def _operators(*operators: Operator) -> tuple[Operator, ...]:
    return operators


_SHAPES = st.sampled_from(("compare", "compare", "compare", "all", "any", "not"))
_SUBJECTS = st.sampled_from(("amount", "region", "coupon", "output", "ordered output"))
_AMOUNT_OPERATORS = st.sampled_from(_operators("gt", "ge", "lt", "le", "eq", "ne"))
_BOUNDS = st.sampled_from(_operators("gt", "le"))
_EQUALITY = st.sampled_from(_operators("eq", "ne", "in"))


def _condition(draw: st.DrawFn, known: tuple[str, ...], depth: int = 0) -> Condition:
    """A comparison of the amount with a threshold, of a string field of the input or an earlier
    output with a literal, or an earlier output with a number; or two levels of their combinations."""
    shape = draw(_SHAPES) if depth < 2 else "compare"
    if shape == "not":
        return Not(_condition(draw, known, depth + 1))
    if shape != "compare":
        terms = (_condition(draw, known, depth + 1), _condition(draw, known, depth + 1))
        return AllOf(terms) if shape == "all" else AnyOf(terms)
    subject = draw(_SUBJECTS)
    if subject.endswith("output") and not known:
        subject = "amount"
    if subject == "amount":
        return Compare(Ref(INPUT, "amount"), draw(_AMOUNT_OPERATORS), draw(st.sampled_from(THRESHOLDS)))
    if subject == "ordered output":
        ref = Ref.parse(draw(st.sampled_from(known)))
        return Compare(ref, draw(_BOUNDS), draw(st.sampled_from((2, 5))))
    if subject == "output":
        ref, values = Ref.parse(draw(st.sampled_from(known))), VALUES
    else:
        ref, values = Ref(INPUT, subject), REGIONS if subject == "region" else COUPONS
    operator = draw(_EQUALITY)
    if operator == "in":
        return Compare(ref, "in", tuple(dict.fromkeys(draw(st.sampled_from(values)) for _ in range(2))))
    return Compare(ref, operator, draw(st.sampled_from(values)))


@st.composite
def inputs(draw: st.DrawFn) -> dict[str, Any]:
    given = {"id": "s-1", "amount": draw(st.sampled_from(AMOUNTS)), "region": draw(st.sampled_from(REGIONS))}
    coupon = draw(st.none() | st.sampled_from(COUPONS))
    return given if coupon is None else {**given, "coupon": coupon}


class Act(StrEnum):
    ANSWER = "answer"  # a reply to a command out (its latest attempt, or an earlier one's)
    STRAY = "stray"  # a reply to any command, sent or not, or to one no workflow knows
    AGAIN = "again"  # an earlier reply, duplicated
    TIME = "time"  # the clock moves to the saga's wake-up time (or, `early`, only part of the way)
    CANCEL = "cancel"
    RESUME = "resume"
    CRASH = "crash"  # the saga is forgotten and read back from what the decisions wrote


@dataclass(frozen=True)
class Event:
    act: Act
    pick: int = 0  # which command, or which earlier reply, out of those there are
    success: bool = True
    values: tuple[int, ...] = ()  # the result's fields (outputs, then UNDECLARED) as places in VALUES
    early: float | None = None


class Ending(StrEnum):
    SILENCE = "silence"  # nothing but time passing, and perhaps resumes
    SUCCESS = "success"  # every command out answered with success, every parked saga resumed


@dataclass(frozen=True)
class Scenario:
    workflow: Workflow
    input: dict[str, Any]
    events: tuple[Event, ...]
    ending: Ending
    resumes: int  # how often a saga parked in silence is resumed


# Answers are the most frequent, one in five a failure, so that sagas get past their first stages.
_ACTS = (
    *[Act.ANSWER] * 8,
    *[Act.TIME] * 3,
    Act.STRAY,
    Act.AGAIN,
    *[Act.CANCEL] * 2,
    Act.RESUME,
    *[Act.CRASH] * 2,
)

events = st.builds(
    Event,
    act=st.sampled_from(_ACTS),
    pick=st.integers(0, 50),
    success=st.sampled_from((True, True, True, True, False)),
    values=st.tuples(*[st.integers(-1, len(VALUES) - 1)] * 3),
    early=st.sampled_from((None, None, 0.5)),
)


@st.composite
def _event_lists(draw: st.DrawFn) -> tuple[Event, ...]:
    """A few successes first, so that many sagas get far, then random events."""
    head = (Event(Act.ANSWER),) * draw(st.integers(0, 6))
    return (*head, *(draw(events) for _ in range(draw(st.integers(0, 40)))))


scenarios = st.builds(
    Scenario,
    workflow=workflows(),
    input=inputs(),
    events=_event_lists(),
    ending=st.sampled_from(Ending),
    resumes=st.integers(0, 2),
)
