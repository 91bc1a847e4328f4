"""Aggregating check results into one verdict per rule part."""

from __future__ import annotations

from collections.abc import Iterable

from campaign_contract.engine import rules
from campaign_contract.engine.outcome import CheckResult, RuleVerdict, Status


def judge(
    results: Iterable[CheckResult], left_out: dict[str, str], no_check: str
) -> list[RuleVerdict]:
    """A verdict for every rule part of CONTRACT.md, in its order."""
    by_rule: dict[str, list[CheckResult]] = {}
    for result in results:
        by_rule.setdefault(result.rule, []).append(result)
    verdicts = []
    for part in rules.all_parts():
        if part.id in left_out:
            verdicts.append(
                RuleVerdict(part.id, Status.NOT_EXERCISED, left_out[part.id], selected=False)
            )
            continue
        mine = by_rule.get(part.id, [])
        statuses = {r.status for r in mine}
        if Status.FAIL in statuses:
            failed = [r for r in mine if r.status is Status.FAIL]
            reason = "; ".join(dict.fromkeys(f"{r.check}: {r.message}" for r in failed))
            verdicts.append(RuleVerdict(part.id, Status.FAIL, reason, results=mine))
        elif Status.PASS in statuses:
            verdicts.append(RuleVerdict(part.id, Status.PASS, partial_reason(mine), results=mine))
        elif mine:
            reason = "; ".join(dict.fromkeys(f"{r.check}: {r.message}" for r in mine))
            verdicts.append(RuleVerdict(part.id, Status.NOT_EXERCISED, reason, results=mine))
        else:
            verdicts.append(RuleVerdict(part.id, Status.NOT_EXERCISED, no_check))
    return verdicts


def partial_reason(results: Iterable[CheckResult]) -> str:
    """For a part that passed: which of its checks were not exercised, and why ("" if none)."""
    missing = [r for r in results if r.status is Status.NOT_EXERCISED]
    if not missing:
        return ""
    told = "; ".join(dict.fromkeys(f"{r.check}: {r.message}" for r in missing))
    return f"partly: not exercised by {told}"
