"""Cells of a clause's domain for a check to try: all of them, or a sample covering each value."""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping, Sequence
from typing import Any

Cell = dict[str, Any]


def every(axes: Mapping[str, Sequence[Any]]) -> list[Cell]:
    """The whole cross product of the axes, in order (for domains small enough to enumerate)."""
    names = list(axes)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*axes.values())]


def covering(
    rng: random.Random, primary: Mapping[str, Sequence[Any]], others: Mapping[str, Sequence[Any]]
) -> list[Cell]:
    """Every cell of `primary`'s product, each with one value drawn for each of `others`.

    Each other axis is drawn from a shuffled cycle, so every one of its values comes at least
    once per run (when there are at least as many primary cells as values) whatever the seed;
    the seed only decides which primary cell gets which.
    """
    cells = every(primary)
    for name, values in others.items():
        pool = list(values)
        drawn: list[Any] = []
        while len(drawn) < len(cells):
            rng.shuffle(pool)
            drawn.extend(pool)
        for cell, value in zip(cells, drawn, strict=False):
            cell[name] = value
    return cells
