"""The clause table (campaign_contract/coverage): every clause of CONTRACT.md has a check that
judges it and a broken variant proving that check can fail it, or says why no check can."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from campaign_contract.cli import main
from campaign_contract.coverage import Clause, CoverageError, all_clauses, parse_clauses, rules
from campaign_contract.coverage.table import render_markdown
from campaign_contract.engine.layers import load_layers
from campaign_contract.engine.registry import REGISTRY, Check

DOCS = Path(__file__).resolve().parents[2] / "docs" / "coverage.md"


def variants_by_name() -> dict[str, tuple[str, ...]]:
    """Every broken variant of tests/contract: its name and the rule parts it breaks."""
    from contract.catalogue import load

    load()
    from contract.callback_variants import CALLBACK_VARIANTS
    from contract.variants import VARIANTS

    return {v.name: v.breaks for v in [*VARIANTS, *CALLBACK_VARIANTS]}


def checks_by_name() -> dict[str, Check]:
    load_layers()
    return {c.name: c for c in REGISTRY}


def test_every_rule_part_has_a_clause() -> None:
    covered = {c.part for c in all_clauses()}
    missing = [p.id for p in rules.all_parts() if p.id not in covered]
    assert not missing, f"rule parts with no clause: {missing}"


def test_every_clause_names_a_real_part_of_its_rule_once() -> None:
    ids = [c.id for c in all_clauses()]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    for clause in all_clauses():
        part = rules.part(clause.part)
        assert clause.rule_id == part.rule_id, clause.id
        assert re.fullmatch(r"[A-Z]-\d+\.[a-z0-9]+(-[a-z0-9]+)*", clause.id), clause.id


def test_clause_texts_quote_their_rule() -> None:
    for clause in all_clauses():
        rule_text = " ".join(rules.part(clause.part).text.split())
        for span in re.findall(r"`([^`]+)`", clause.text):
            assert span in rule_text, f"{clause.id}: `{span}` is not in {clause.part}'s text"


def test_every_clause_has_checks_and_variants_or_says_why_not() -> None:
    bare = [c.id for c in all_clauses() if not c.covered]
    assert not bare, f"clauses with neither a check and a variant nor an `outside` reason: {bare}"


def test_named_checks_are_registered_and_declare_the_part() -> None:
    checks = checks_by_name()
    for clause in all_clauses():
        for name in clause.checks:
            assert name in checks, f"{clause.id}: no registered check {name!r}"
            assert clause.part in checks[name].rules, f"{clause.id}: {name} lacks {clause.part}"


def test_named_variants_exist_and_break_the_part() -> None:
    known = variants_by_name()
    for clause in all_clauses():
        for name in clause.variants:
            assert name in known, f"{clause.id}: no broken variant {name!r} in tests/contract"
            assert clause.part in known[name], f"{clause.id}: {name} breaks {known[name]}"


def test_the_docs_page_is_up_to_date() -> None:
    assert DOCS.read_text("utf-8") == render_markdown(), (
        "docs/coverage.md is stale: python -m campaign_contract.coverage.table > docs/coverage.md"
    )


def test_rules_coverage_lists_every_clause_with_its_proof() -> None:
    result = CliRunner().invoke(main, ["rules", "--coverage"])
    assert result.exit_code == 0, result.output
    for clause in all_clauses():
        assert clause.id in result.output
        for name in (*clause.checks, *clause.variants):
            assert name in result.output
        if clause.outside:
            assert clause.outside in result.output
    assert result.output.rstrip().splitlines()[-1].startswith(f"{len(all_clauses())} clauses")


def test_rules_coverage_level_core_keeps_seed_and_vendor_parts() -> None:
    result = CliRunner().invoke(main, ["rules", "--coverage", "--level", "core"])
    assert result.exit_code == 0, result.output
    listed = {line.split()[1] for line in result.output.splitlines() if line[:1].isupper()}
    listed.discard("clauses")
    assert listed and all(rules.part(p).level in rules.CORE_LEVELS for p in listed)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"id": "V-1.x", "part": "V-1"}, "missing"),
        ({"id": "V-1.x", "part": "V-1", "text": "t", "proof": []}, "unknown"),
        ({"id": "V-1.x", "part": "V-1", "text": "t", "checks": "one"}, "list of names"),
        ({"id": "V-1.x", "part": "V-1", "text": "t", "domain": ["GET"]}, "mapping of axis"),
        ({"id": "V-1.x", "part": "V-1", "text": "t", "domain": {}}, "mapping of axis"),
        ({"id": "V-1.x", "part": "V-1", "text": "t", "domain": {"m": "GET"}}, "list of names"),
        ({"id": "V-1.x", "part": "V-1", "text": "t", "domain": {"m": [1]}}, "list of names"),
        ({"id": "V-1.x", "part": "V-1", "text": "t", "domain": {"m": []}}, "distinct values"),
        ({"id": "V-1.x", "part": "V-1", "text": "t", "domain": {"m": ["a", "a"]}}, "distinct"),
        ({"id": "V-1.x", "part": "V-1", "text": "t", "exclude": [{"m": "a"}]}, "without a domain"),
        (
            {
                "id": "V-1.x",
                "part": "V-1",
                "text": "t",
                "domain": {"m": ["a"]},
                "exclude": [{"m": "b"}],
            },
            "not in the domain",
        ),
        (
            {
                "id": "V-1.x",
                "part": "V-1",
                "text": "t",
                "domain": {"m": ["a"]},
                "exclude": [{"m": "a"}],
            },
            "leaves no cell",
        ),
        ({"id": "V-1.x", "part": "V-1", "text": "t", "hint": ["add"]}, "hint: expected a text"),
        # Every clause reports its cells now: the old opt-in key is an unknown one.
        ({"id": "V-1.x", "part": "V-1", "text": "t", "cells_reported": True}, "unknown"),
    ],
)
def test_a_malformed_entry_is_refused_with_its_place(document: object, message: str) -> None:
    with pytest.raises(CoverageError, match=message) as raised:
        parse_clauses([document], "V.yaml")
    assert "V.yaml[0]" in str(raised.value)


def test_a_domain_its_exclusions_and_hint_are_read_in_order() -> None:
    (clause,) = parse_clauses(
        [
            {
                "id": "V-4.x",
                "part": "V-4",
                "text": "t",
                "domain": {"method": ["PUT", "GET"], "path": ["/b", "/a"]},
                "exclude": [{"path": "/a", "method": "PUT"}],
                "hint": "  add   a list ",
            }
        ],
        "V.yaml",
    )
    assert clause.cells() == (
        (("method", "PUT"), ("path", "/b")),
        (("method", "GET"), ("path", "/b")),
        (("method", "GET"), ("path", "/a")),
    )
    assert clause.hint == "add a list"
    (plain,) = parse_clauses([{"id": "V-4.y", "part": "V-4", "text": "t"}], "V.yaml")
    assert plain.cells() == ((),) and plain.hint is None


def test_every_judged_clause_names_a_check_to_report_its_cells() -> None:
    for clause in all_clauses():
        if clause.outside is None:
            assert clause.checks, clause.id


def test_a_clause_is_covered_by_checks_and_variants_or_a_reason() -> None:
    assert Clause("V-1.a", "V-1", "t", ("c",), ("v",)).covered
    assert not Clause("V-1.a", "V-1", "t", ("c",), ()).covered
    assert not Clause("V-1.a", "V-1", "t", (), ("v",)).covered
    assert Clause("V-1.a", "V-1", "t", outside="a reason").covered
