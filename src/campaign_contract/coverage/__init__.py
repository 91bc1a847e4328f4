"""CONTRACT.md split into clauses, each with the checks that judge it and the broken variants
(tests/contract) that prove those checks can fail it, or the reason no check can judge it.

One YAML file per rule group (V.yaml, R.yaml, ...), each a list of entries:

    - id: Q-4.name-length-max        # <rule>.<slug>, unique over all files
      part: Q-4                      # the rule part (rules.yaml) the clause belongs to
      text: "`name` is at most 255 characters (256 is invalid)."
      checks: [schema.required_fields_and_limits]   # registered checks declaring `part`
      variants: [q_long_names]       # broken variants in tests/contract declaring `part`

or, for a clause nobody can judge by what crosses the wire, `outside: "<why>"` instead of
`variants` (`checks` may still name checks that exercise it without judging it). `text` quotes
or closely paraphrases its rule: every `code span` in it occurs in that rule's text.

Per-run accounting (what a run exercised, not only what a check could judge), optional keys:

      domain:                        # axis -> values; the clause's cells are the cross product
        method: [GET, HEAD, OPTIONS, PUT, DELETE]
        path: ["/campaign/", "/campaign/{id}/"]
      exclude:                       # partial cells: a cell matching any is not in the domain
        - {method: PUT, path: "/campaign/"}
      hint: add a list of at least 1001 contacts   # what a vendor's config can add when a run
                                                   # cannot exercise the clause

A clause without `domain` has one cell, the empty one: `Probe.exercised(clause_id)`. Only the
cells a check reports with `Probe.exercised` count: a check that merely passed vouches for
nothing it did not report.
tests/contract_suite/test_coverage.py holds every file to this.
The table ships with the package so `campaign-contract rules --coverage` needs nothing else.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from campaign_contract.coverage import rules

#: The group files in CONTRACT.md's order; missing files are skipped.
GROUP_FILES = tuple(f"{group}.yaml" for group in rules.GROUPS)
_KEYS = frozenset(
    {"id", "part", "text", "checks", "variants", "outside", "domain", "exclude", "hint"}
)  # fmt: skip

#: One cell of a clause's domain: (axis, value) pairs in the domain's axis order.
Cell = tuple[tuple[str, str], ...]
#: A clause's domain: (axis, its values) pairs in the YAML's order.
Domain = tuple[tuple[str, tuple[str, ...]], ...]


class CoverageError(ValueError):
    """A clause file that does not follow the format above."""


@dataclass(frozen=True, slots=True)
class Clause:
    id: str
    part: str
    text: str
    checks: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    #: Why no check can judge this clause from outside; None when it is judged.
    outside: str | None = None
    #: The axes and values whose cross product (less `exclude`) a run should exercise.
    domain: Domain = ()
    #: Partial cells: a cell matching any of them is not in the domain.
    exclude: tuple[Cell, ...] = ()
    #: What a vendor can add to the config so that a run exercises the clause.
    hint: str | None = None

    @property
    def rule_id(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def covered(self) -> bool:
        """Judged by a check and proved by a variant, or explained as out of reach."""
        return bool(self.checks and self.variants) or bool(self.outside)

    @property
    def axes(self) -> tuple[str, ...]:
        return tuple(axis for axis, _values in self.domain)

    def cells(self) -> tuple[Cell, ...]:
        """The cells to exercise, in the domain's order; `((),)` for a clause without one."""
        products = itertools.product(*(values for _axis, values in self.domain))
        every = (tuple(zip(self.axes, values, strict=True)) for values in products)
        return tuple(c for c in every if not any(matches(c, pattern) for pattern in self.exclude))

    def cell(self, given: Mapping[str, str], *, partial: bool = False) -> Cell:
        """`given` as a cell of this clause (axes in domain order); ValueError if it is none.

        `partial` allows a subset of the axes (a pattern standing for every cell it matches).
        """
        known = dict(self.domain)
        for axis, value in given.items():
            if axis not in known:
                raise ValueError(f"clause {self.id} has no axis {axis!r} (axes: {self.axes})")
            if value not in known[axis]:
                raise ValueError(f"clause {self.id}: {axis}={value!r} is not in {known[axis]}")
        if not partial and set(given) != set(known):
            raise ValueError(f"clause {self.id}: a cell names every axis of {self.axes}")
        cell = tuple((axis, given[axis]) for axis in self.axes if axis in given)
        if not partial and cell not in self.cells():
            raise ValueError(f"clause {self.id}: cell {format_cell(cell)} is excluded")
        return cell


def matches(cell: Cell, pattern: Cell) -> bool:
    """Whether `cell` has every (axis, value) of `pattern` (the empty pattern matches all)."""
    return set(pattern) <= set(cell)


def format_cell(cell: Cell) -> str:
    """`method=GET path=/campaign/`, or `(whole clause)` for the empty cell."""
    return " ".join(f"{axis}={value}" for axis, value in cell) or "(whole clause)"


def _names(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CoverageError(f"{where}: expected a list of names, got {value!r}")
    return tuple(value)


def _domain(value: Any, where: str) -> Domain:
    if value is None:
        return ()
    if not isinstance(value, dict) or not value:
        raise CoverageError(f"{where}: expected a mapping of axis -> list of values")
    domain = []
    for axis, values in value.items():
        names = _names(values, f"{where}.{axis}")
        if not isinstance(axis, str) or not axis.isidentifier():
            raise CoverageError(f"{where}: axis {axis!r} is not a name")
        if not names or len(set(names)) != len(names):
            raise CoverageError(f"{where}.{axis}: expected distinct values, got {values!r}")
        domain.append((axis, names))
    return tuple(domain)


def _exclude(value: Any, domain: Domain, where: str) -> tuple[Cell, ...]:
    if value is None:
        return ()
    if not domain:
        raise CoverageError(f"{where}: exclude without a domain")
    if not isinstance(value, list):
        raise CoverageError(f"{where}: expected a list of partial cells")
    known = dict(domain)
    patterns = []
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not item:
            raise CoverageError(f"{where}[{index}]: expected a mapping axis -> value")
        for axis, one in item.items():
            if axis not in known or one not in known[axis]:
                raise CoverageError(f"{where}[{index}]: {axis}={one!r} is not in the domain")
        patterns.append(tuple((axis, str(item[axis])) for axis, _ in domain if axis in item))
    return tuple(patterns)


def parse_clauses(raw: Any, source: str) -> tuple[Clause, ...]:
    """The clauses of one file's YAML document (a list of mappings)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise CoverageError(f"{source}: expected a list of clauses")
    clauses = []
    for index, item in enumerate(raw):
        where = f"{source}[{index}]"
        if not isinstance(item, dict):
            raise CoverageError(f"{where}: expected a mapping")
        unknown = set(item) - _KEYS
        missing = {"id", "part", "text"} - set(item)
        if unknown or missing:
            raise CoverageError(f"{where}: unknown {sorted(unknown)}, missing {sorted(missing)}")
        outside = item.get("outside")
        domain = _domain(item.get("domain"), f"{where}.domain")
        hint = item.get("hint")
        if hint is not None and not (isinstance(hint, str) and hint.strip()):
            raise CoverageError(f"{where}.hint: expected a text, got {hint!r}")
        entry = Clause(
            id=str(item["id"]),
            part=str(item["part"]),
            text=" ".join(str(item["text"]).split()),
            checks=_names(item.get("checks"), f"{where}.checks"),
            variants=_names(item.get("variants"), f"{where}.variants"),
            outside=" ".join(str(outside).split()) if outside else None,
            domain=domain,
            exclude=_exclude(item.get("exclude"), domain, f"{where}.exclude"),
            hint=" ".join(hint.split()) if hint else None,
        )
        if not entry.cells():
            raise CoverageError(f"{where}.exclude: leaves no cell of the domain")
        clauses.append(entry)
    return tuple(clauses)


@functools.cache
def all_clauses() -> tuple[Clause, ...]:
    """Every clause of every group file shipped with the package, in CONTRACT.md's order."""
    folder = resources.files("campaign_contract").joinpath("coverage")
    clauses: list[Clause] = []
    for name in GROUP_FILES:
        entry = folder.joinpath(name)
        if entry.is_file():
            clauses.extend(parse_clauses(yaml.safe_load(entry.read_text("utf-8")), name))
    order = {part.id: index for index, part in enumerate(rules.all_parts())}
    return tuple(sorted(clauses, key=lambda c: order.get(c.part, len(order))))


def clauses_of(part_id: str) -> tuple[Clause, ...]:
    return tuple(c for c in all_clauses() if c.part == part_id)


#: The table `clause` last indexed, and its index by id.
_index: tuple[tuple[Clause, ...], dict[str, Clause]] = ((), {})


def clause(clause_id: str) -> Clause:
    """The clause with this id; ValueError if the table has none."""
    global _index
    table = all_clauses()
    # Re-indexed when the table is another (a test may stand in a table of its own).
    if _index[0] is not table:
        _index = (table, {c.id: c for c in table})
    found = _index[1].get(clause_id)
    if found is None:
        raise ValueError(f"no clause {clause_id!r} in the coverage table")
    return found
