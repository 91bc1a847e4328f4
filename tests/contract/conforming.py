"""Conforming variants of the mock: each takes another defensible reading where CONTRACT.md is
silent ("Where servers may differ"), and the suite must pass it with zero failures.

The dual of variants.py: a broken variant proves the suite can fail a rule, a conforming one
proves it does not fail a server for a choice CONTRACT.md leaves open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from flask import Flask

#: The layers a conforming variant is judged by unless it says otherwise (every rule in them).
DEFAULT_ONLY: Final = ("robustness", "schema", "stateful")


@dataclass(frozen=True)
class Conforming:
    name: str
    #: The CONTRACT.md silence it takes, in one line.
    reading: str
    apply: Callable[[Flask], None]
    #: The --only selection to run against it (layers or rules).
    only: tuple[str, ...] = DEFAULT_ONLY
    skip: tuple[str, ...] = ()


CONFORMING_VARIANTS: list[Conforming] = []


def conforming(
    name: str,
    reading: str,
    *,
    only: tuple[str, ...] = DEFAULT_ONLY,
    skip: tuple[str, ...] = (),
    into: list[Conforming] | None = None,
) -> Callable[[Callable[[Flask], None]], Callable[[Flask], None]]:
    """Register the decorated `apply(app)` as a conforming variant (in `into`, or this module's
    CONFORMING_VARIANTS)."""
    target = CONFORMING_VARIANTS if into is None else into

    def register(apply: Callable[[Flask], None]) -> Callable[[Flask], None]:
        target.append(Conforming(name, reading, apply, only, skip))
        return apply

    return register
