"""Which rule parts and checks a run covers: --level, --only and --skip."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from campaign_contract.coverage import rules
from campaign_contract.engine.registry import Check

LevelChoice = Literal["core", "all"]


class SelectionError(ValueError):
    """An --only/--skip token that names no group, rule, rule part or layer."""


def split_tokens(text: str | None) -> tuple[str, ...]:
    return tuple(t for t in re.split(r"[,\s]+", text or "") if t)


@dataclass(frozen=True, slots=True)
class Selection:
    level: LevelChoice = "all"
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Resolved:
    """Selected rule parts and checks, and why each other part is left out."""

    parts: frozenset[str]
    checks: tuple[Check, ...]
    left_out: dict[str, str]


def _classify(
    tokens: Iterable[str], layers: set[str], option: str, checks: set[str] | None = None
) -> tuple[set[str], set[str], set[str]]:
    """Split tokens into rule parts, layers and check names (e.g. `stateful.transitions`)."""
    parts: set[str] = set()
    named_layers: set[str] = set()
    named_checks: set[str] = set()
    for token in tokens:
        if token.lower() in layers:
            named_layers.add(token.lower())
            continue
        if checks is not None and token in checks:
            named_checks.add(token)
            continue
        found = rules.expand(token)
        if not found:
            raise SelectionError(
                f"{option}: {token!r} is no rule group ({', '.join(rules.GROUPS)}), rule (V-1), "
                f"rule part (V-1p), layer ({', '.join(sorted(layers))}) or check name "
                "(see `campaign-contract rules --coverage`)"
            )
        parts.update(p.id for p in found)
    return parts, named_layers, named_checks


def resolve(selection: Selection, checks: Iterable[Check], layers: Iterable[str]) -> Resolved:
    """Apply a selection to the registered checks; raises SelectionError on a bad token."""
    known_layers = set(layers)
    all_checks = list(checks)
    names = {c.name for c in all_checks}
    only_parts, only_layers, only_checks = _classify(selection.only, known_layers, "--only", names)
    skip_parts, skip_layers, skip_checks = _classify(selection.skip, known_layers, "--skip", names)
    # A named check selects the parts it judges; named alone, only the named checks run.
    checks_alone = bool(only_checks) and not (only_parts or only_layers)
    only_parts |= {r for c in all_checks if c.name in only_checks for r in c.rules}
    levels = rules.CORE_LEVELS if selection.level == "core" else set(rules.Level)

    left_out: dict[str, str] = {}
    wanted: set[str] = set()
    layer_parts = {r for c in all_checks if c.layer in only_layers for r in c.rules}
    for part in rules.all_parts():
        if part.level not in levels:
            left_out[part.id] = "not selected: --level core runs seed and vendor parts only"
        elif part.id in skip_parts:
            left_out[part.id] = "skipped by --skip"
        elif (only_parts or only_layers or only_checks) and part.id not in only_parts | layer_parts:
            left_out[part.id] = "not selected by --only"
        else:
            wanted.add(part.id)

    def runs(check: Check) -> bool:
        if check.layer in skip_layers or check.name in skip_checks:
            return False
        if not wanted.intersection(check.rules):
            return False
        if checks_alone or check.name in only_checks:
            return check.name in only_checks
        if only_layers and not only_parts:
            return check.layer in only_layers
        return True

    return Resolved(frozenset(wanted), tuple(c for c in all_checks if runs(c)), left_out)
