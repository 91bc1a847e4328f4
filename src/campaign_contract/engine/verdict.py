"""Aggregating check results into one verdict per rule part, and per clause the cells run."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from campaign_contract import coverage
from campaign_contract.coverage import Cell, Clause, format_cell, matches, rules
from campaign_contract.engine.outcome import CheckResult, ClauseAccount, RuleVerdict, Status

#: Why a clause has missing cells when nothing said why.
UNREPORTED = "no check reported exercising it in this run"


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
        accounts = [account(c, mine) for c in coverage.clauses_of(part.id)]
        statuses = {r.status for r in mine}
        if Status.FAIL in statuses:
            failed = [r for r in mine if r.status is Status.FAIL]
            reason = "; ".join(dict.fromkeys(f"{r.check}: {r.message}" for r in failed))
            verdict = RuleVerdict(part.id, Status.FAIL, reason, results=mine)
        elif Status.PASS in statuses:
            reason = partial_reason(mine, accounts)
            verdict = RuleVerdict(part.id, Status.PASS, reason, results=mine)
        elif mine:
            reason = "; ".join(dict.fromkeys(f"{r.check}: {r.message}" for r in mine))
            verdict = RuleVerdict(part.id, Status.NOT_EXERCISED, reason, results=mine)
        else:
            verdict = RuleVerdict(part.id, Status.NOT_EXERCISED, no_check)
        verdict.clauses = accounts
        verdicts.append(verdict)
    return verdicts


def account(clause: Clause, results: Sequence[CheckResult]) -> ClauseAccount:
    """What the results of the clause's part exercised of it: the cells a check reported with
    `Probe.exercised` (whatever its result: it reports a cell only once it judged it). A check
    that passed without reporting a cell vouches for none."""
    domain = clause.cells()
    exercised: set[Cell] = set()
    for result in results:
        exercised |= result.cells.get(clause.id, frozenset())
    missing = [c for c in domain if c not in exercised]
    reasons: list[str] = []
    if missing:
        for result in results:
            for pattern, why in result.cannot.get(clause.id, ()):
                if any(matches(c, pattern) for c in missing):
                    where = f"{format_cell(pattern)}: " if pattern else ""
                    reasons.append(f"{result.check}: {where}{why}")
        named = set(clause.checks)
        reasons += [
            f"{r.check}: {r.message}"
            for r in results
            if r.status is Status.NOT_EXERCISED and (r.check in named or not named) and r.message
        ]
        if not reasons:
            reasons.append(UNREPORTED if results else "no check of its part ran")
    return ClauseAccount(
        clause=clause.id,
        text=clause.text,
        domain=domain,
        exercised=tuple(c for c in domain if c in exercised),
        reasons=tuple(dict.fromkeys(reasons)),
        hint=clause.hint,
        exempt=clause.outside is not None,
    )


def clauses_text(accounts: Iterable[ClauseAccount]) -> str:
    """The clauses not wholly exercised, each with its missing cells and hint ("" if none)."""
    told = []
    for one in accounts:
        if one.complete:
            continue
        text = one.clause
        if one.has_domain:
            text += f" ({len(one.missing)} of {len(one.domain)} cells missing)"
        if one.hint:
            text += f" [hint: {one.hint}]"
        told.append(text)
    return f"clauses not exercised in this run: {', '.join(told)}" if told else ""


def partial_reason(results: Iterable[CheckResult], accounts: Iterable[ClauseAccount] = ()) -> str:
    """For a part that passed: which of its checks and clauses were not exercised, and why
    ("" if none)."""
    missing = [r for r in results if r.status is Status.NOT_EXERCISED]
    told = []
    if missing:
        by = "; ".join(dict.fromkeys(f"{r.check}: {r.message}" for r in missing))
        told.append(f"not exercised by {by}")
    if clauses := clauses_text(accounts):
        told.append(clauses)
    return f"partly: {'; '.join(told)}" if told else ""
