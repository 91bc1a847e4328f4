"""The rule registry against CONTRACT.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from campaign_contract.coverage import rules

CONTRACT = Path(__file__).resolve().parents[2] / "CONTRACT.md"


def contract_text() -> str:
    """CONTRACT.md at the repository's root is the truth; the suite ships its own copy of the
    rules (rules.yaml), which must not drift from it."""
    return CONTRACT.read_text("utf-8")


def contract_ids() -> list[str]:
    return re.findall(r"^([A-Z]-[0-9]+) \[", contract_text(), flags=re.MULTILINE)


def test_every_contract_rule_is_registered() -> None:
    assert [r.id for r in rules.all_rules()] == contract_ids()


def test_shipped_rule_texts_match_contract() -> None:
    text = contract_text()
    for rule in rules.all_rules():
        assert rule.text.rstrip() in text, rule.id


def test_parts_have_unique_ids_and_keep_the_rule_id_first() -> None:
    ids = [p.id for p in rules.all_parts()]
    assert len(ids) == len(set(ids))
    for rule in rules.all_rules():
        assert rule.parts[0].id == rule.id
        assert all(p.id.startswith(rule.id) for p in rule.parts)


def test_each_level_tag_in_a_rule_text_has_a_part() -> None:
    for rule in rules.all_rules():
        tagged = set(re.findall(r"\[(seed|vendor|profile)\]", rule.text))
        assert tagged == {p.level.value for p in rule.parts}, rule.id


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("V-1", {"V-1", "V-1p"}), ("V-1p", {"V-1p"}), ("q-6", {"Q-6", "Q-6s"}), ("nope", set())],
)
def test_expand_names_groups_rules_and_parts(spec: str, expected: set[str]) -> None:
    assert {p.id for p in rules.expand(spec)} == expected


def test_expand_a_group_letter() -> None:
    assert {p.group for p in rules.expand("C")} == {"C"}
