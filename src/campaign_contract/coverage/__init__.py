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
tests/contract_suite/test_coverage.py holds every file to this.
The table ships with the package so `campaign-contract rules --coverage` needs nothing else.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from campaign_contract.engine import rules

#: The group files in CONTRACT.md's order; missing files are skipped.
GROUP_FILES = tuple(f"{group}.yaml" for group in rules.GROUPS)
#: `domain`, `exclude` and `hint` describe the cells a clause speaks about (checked elsewhere).
_KEYS = frozenset(
    {"id", "part", "text", "checks", "variants", "outside", "domain", "exclude", "hint"}
)


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

    @property
    def rule_id(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def covered(self) -> bool:
        """Judged by a check and proved by a variant, or explained as out of reach."""
        return bool(self.checks and self.variants) or bool(self.outside)


def _names(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CoverageError(f"{where}: expected a list of names, got {value!r}")
    return tuple(value)


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
        clauses.append(
            Clause(
                id=str(item["id"]),
                part=str(item["part"]),
                text=" ".join(str(item["text"]).split()),
                checks=_names(item.get("checks"), f"{where}.checks"),
                variants=_names(item.get("variants"), f"{where}.variants"),
                outside=" ".join(str(outside).split()) if outside else None,
            )
        )
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
