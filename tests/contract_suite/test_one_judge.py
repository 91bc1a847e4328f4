"""One judge per clause: observed traffic (the proxy, `judge FILE`) is judged only by
`judges/`, the no-IO layer `run`'s checks call too. A finding recorded in `observed/` itself
would be a second copy of a rule, free to drift from the first."""

from __future__ import annotations

import ast
from pathlib import Path

import campaign_contract.observed

#: What records a verdict on a `Verdicts` (engine/verdicts.py).
JUDGING = frozenset({"fail", "expect", "exercised", "cannot"})


def _judgments(tree: ast.AST) -> list[int]:
    """Lines that record a verdict, but for a subclass handing a finding on (`super().fail`)."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        handed_on = isinstance(owner, ast.Call) and getattr(owner.func, "id", "") == "super"
        if node.func.attr in JUDGING and not handed_on:
            lines.append(node.lineno)
    return lines


def test_observed_traffic_is_judged_by_the_judges_layer_alone() -> None:
    folder = Path(campaign_contract.observed.__file__).parent
    found = {
        path.name: lines
        for path in sorted(folder.glob("*.py"))
        if (lines := _judgments(ast.parse(path.read_text("utf-8"))))
    }
    assert not found, f"observed/ records verdicts itself (move them to judges/): {found}"


def test_the_scan_sees_a_verdict_recorded_in_place() -> None:
    """The scan itself can fail: a module that judges inline is caught."""
    inline = "def judge(v, exchange):\n    v.fail('R-3', 'no campaign', exchange)\n"
    handed_on = "class T(V):\n    def fail(self, *a):\n        super().fail(*a)\n"
    assert _judgments(ast.parse(inline)) == [2]
    assert _judgments(ast.parse(handed_on)) == []
