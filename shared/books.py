"""What a service records of each saga, declared in its own package (`<package>.books.BOOKS`), so
that the audit after a run and the tests every participant passes read it there, not from a list
kept elsewhere."""

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

# A command's payload that the service accepts, arranged in its database for the reference given.
Sample = Callable[[asyncpg.Pool, str], Awaitable[dict[str, Any]]]


@dataclass
class Findings:
    """What a service's own check of its books found after a run."""

    taken: Counter[str] = field(default_factory=Counter)  # what the run used up, by item
    double_effects: list[str] = field(default_factory=list)
    imbalances: list[str] = field(default_factory=list)


# Reads the service's database after a run: given the inputs of the sagas that completed and what
# the run put in (its seed), it says what was taken and what does not add up.
Check = Callable[[asyncpg.Connection, Sequence[Mapping[str, Any]], Mapping[str, int]], Awaitable[Findings]]


@dataclass(frozen=True, kw_only=True)
class Books:
    """The service's table holds one row per saga (`saga_id`, `status`), whose status says how the
    saga ended for this service: `done` after its command, `undone` after its compensation, and
    `marker` where the compensation came first, which makes the late command answer `refusal`.

    A service with no compensation (its step runs only once the saga can no longer fail) has no
    `undone`, `marker` or `refusal`: a saga that did not complete never reached it, and left no row."""

    table: str
    done: str
    undone: str | None = None
    marker: str | None = None
    refusal: str | None = None
    result_keys: frozenset[str]  # of the command's successful reply
    sample: Sample
    tracks_stock: bool = False  # the command changes the `products` stock of its payload's product
    check: Check | None = None
