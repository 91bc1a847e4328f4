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

import pytest
from flask import Flask

from campaign_contract.engine.outcome import Status
from campaign_contract.engine.registry import REGISTRY
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection
from campaign_contract.judges import answers as judge
from campaign_contract.schema import fuzz
from campaign_mock.domain.backend import CampaignBackend

from .conftest import served, suite_config
from .middleware import Call, install

CHECK = "schema.generated_requests"
RULE_PART = re.compile(r"^[VRQMAEC]-[0-9]+[a-z]*$")


def _state_and_duplicate_faults(app: Flask) -> None:
    """A success shows another state than the one asked for; a JSON one repeats segments."""

    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        data = doc.get("data")
        if doc.get("success") is True and isinstance(data, dict) and "state" in data:
            asked = call.params().get("state")
            if call.method in ("POST", "PUT") and isinstance(asked, str):
                data["state"] = "DRAFT" if asked != "DRAFT" else "SCHEDULED"
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


def test_one_crashing_case_does_not_skip_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crash is still reported (a suite bug), but after every other case has run."""
    real = fuzz.Fuzzer.run
    calls: list[str] = []

    def run(self: fuzz.Fuzzer, path: str, method: str, case: Any) -> None:
        calls.append(f"{method} {path}")
        if len(calls) == 1:
            raise KeyError("planted")
        real(self, path, method, case)

    monkeypatch.setattr(fuzz.Fuzzer, "run", run)
    with served() as url:
        report = run_selection(
            suite_config(url, tmp_path),
            selection=Selection(only=("schema",)),
            seed=7,
            max_examples=2,
        )
    results = [r for v in report.verdicts for r in v.results if r.check == CHECK]
    assert results and all("1 generated case(s) crashed" in r.message for r in results)
    assert {"DELETE /campaign/{id}", "POST /login/"} <= set(calls[1:])
