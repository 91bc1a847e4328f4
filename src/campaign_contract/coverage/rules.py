"""The registry of CONTRACT.md's rules, split into one part per level."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from typing import Any

import yaml


class Level(StrEnum):
    SEED = "seed"
    VENDOR = "vendor"
    PROFILE = "profile"


#: `--level core` runs these; `--level all` runs every level.
CORE_LEVELS = frozenset({Level.SEED, Level.VENDOR})

GROUPS = {
    "V": "Envelope, formats, authentication",
    "R": "Resource",
    "Q": "Requests",
    "M": "State machine",
    "A": "Audience and messages",
    "E": "Events and callbacks",
    "C": "Events and callbacks",
}


@dataclass(frozen=True, slots=True)
class RulePart:
    """One level of a rule: the unit a check exercises and a report judges."""

    id: str
    rule_id: str
    level: Level
    summary: str
    text: str

    @property
    def group(self) -> str:
        return self.rule_id.split("-", 1)[0]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    section: str
    text: str
    parts: tuple[RulePart, ...]

    @property
    def group(self) -> str:
        return self.id.split("-", 1)[0]


def _parse(raw: Any) -> tuple[Rule, ...]:
    rules = []
    for item in raw:
        text = str(item["text"]).rstrip() + "\n"
        parts = tuple(
            RulePart(
                id=str(p["id"]),
                rule_id=str(item["id"]),
                level=Level(p["level"]),
                summary=str(p["summary"]),
                text=text,
            )
            for p in item["parts"]
        )
        rules.append(Rule(id=str(item["id"]), section=str(item["section"]), text=text, parts=parts))
    return tuple(rules)


@functools.cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule, in CONTRACT.md's order, from the copy shipped with the package."""
    source = resources.files("campaign_contract").joinpath("rules.yaml").read_text("utf-8")
    return _parse(yaml.safe_load(source))


@functools.cache
def all_parts() -> tuple[RulePart, ...]:
    return tuple(part for rule in all_rules() for part in rule.parts)


@functools.cache
def parts_by_id() -> dict[str, RulePart]:
    return {part.id: part for part in all_parts()}


def part(part_id: str) -> RulePart:
    """The rule part with this ID; KeyError names the unknown ID."""
    try:
        return parts_by_id()[part_id]
    except KeyError:
        raise KeyError(f"unknown rule part {part_id!r}") from None


def expand(spec: str) -> tuple[RulePart, ...]:
    """The parts a user's spec names: a group letter (V), a rule (V-1) or a part (V-1p)."""
    spec = spec.strip()
    if spec.upper() in GROUPS and len(spec) == 1:
        return tuple(p for p in all_parts() if p.group == spec.upper())
    by_rule = tuple(p for p in all_parts() if p.rule_id == spec.upper())
    if by_rule:
        return by_rule
    if spec in parts_by_id():
        return (parts_by_id()[spec],)
    return ()
