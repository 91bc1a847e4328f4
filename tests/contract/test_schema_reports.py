"""schema.generated_requests reports only to the rule parts it declares, case by case.

A server that answers a state fault (M-2) or a duplicate-segments fault (Q-3p) once made the
check raise "does not declare rule M-2", which failed all its parts as a crash and skipped
the remaining cases. Now its declaration is the table its judgement maps into.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from flask import Flask

from campaign_contract.outcome import Status
from campaign_contract.registry import REGISTRY
from campaign_contract.runner import run_selection
from campaign_contract.schema import fuzz, judge
from campaign_contract.selection import Selection
from campaign_mock.domain.backend import CampaignBackend

from .conftest import served, suite_config
from .middleware import Call, install

CHECK = "schema.generated_requests"
RULE_PART = re.compile(r"^[VRQMAEC]-[0-9]+[a-z]*$")


def _state_and_duplicate_faults(app: Flask) -> None:
    """Every PUT success shows the state DRAFT; every JSON success repeats its segments."""

    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        data = doc.get("data")
        if doc.get("success") is True and isinstance(data, dict) and "state" in data:
            if call.method == "PUT" and (call.params().get("state") or "DRAFT") != "DRAFT":
                data["state"] = "DRAFT"
            if call.json is not None and data["segments"]:
                data["segments"] = data["segments"] * 2
        return status

    install(app, on_response=on_response)


def test_the_declaration_is_the_judges_table() -> None:
    declared = next(c for c in REGISTRY if c.name == CHECK).rules
    assert set(declared) == set(judge.JUDGED)
    assert {"M-2", "Q-3p"} <= set(declared)


def test_the_judge_names_rule_parts_only_through_its_table() -> None:
    """No rule-part literal in judge.py or fuzz.py outside `Part`: nothing can slip past."""
    for module in (judge, fuzz):
        tree = ast.parse(Path(str(module.__file__)).read_text("utf-8"))
        table = next(
            (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == "Part"), None
        )
        inside = {id(n) for n in ast.walk(table)} if table is not None else set()
        literals = [
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant)
            and isinstance(n.value, str)
            and id(n) not in inside
            and RULE_PART.match(n.value)
        ]
        assert not literals, f"{module.__name__} names rule parts outside Part: {literals}"


def test_state_and_duplicate_faults_are_reported_not_crashed(tmp_path: Path) -> None:
    with served(_state_and_duplicate_faults) as url:
        report = run_selection(
            suite_config(url, tmp_path),
            selection=Selection(only=("schema",)),
            seed=7,
            max_examples=12,
        )
    results = [r for v in report.verdicts for r in v.results if r.check == CHECK]
    crashed = [r.message for r in results if "crashed" in r.message]
    assert not crashed, crashed
    by_rule = {r.rule: r for r in results}
    # The faults are found, on the parts that say so, by the generated cases themselves.
    assert by_rule["M-2"].status is Status.FAIL, by_rule["M-2"].message
    assert "state" in by_rule["M-2"].findings[0].message
    # And the other parts are judged on their own: the envelope, V-4 and R-2 hold here.
    for rule in ("V-2", "V-4", "R-2"):
        assert by_rule[rule].status is Status.PASS, (rule, by_rule[rule].message)
