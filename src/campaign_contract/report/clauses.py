"""Per-clause accounting of a run as every report shows it: cells exercised, missing, why."""

from __future__ import annotations

from typing import Any

from campaign_contract.engine.outcome import ClauseAccount, RuleVerdict

#: Missing cells named in the one-line forms (JSON and HTML list them all).
NAMED_CELLS = 6


def state(account: ClauseAccount) -> str:
    """`exercised`, `partly exercised`, `not exercised` or `outside` (never judged)."""
    if account.exempt and not account.exercised:
        return "outside"
    if not account.missing:
        return "exercised"
    return "partly exercised" if account.exercised else "not exercised"


def counted(account: ClauseAccount) -> str:
    """`3/5 cells`, or nothing for a clause without a domain."""
    return f" ({len(account.exercised)}/{len(account.domain)} cells)" if account.has_domain else ""


def clause_line(account: ClauseAccount) -> str:
    """One line: the clause, its state and counts; when missing, which cells, why, the hint."""
    text = f"{account.clause}: {state(account)}{counted(account)}"
    if account.missing and not account.exempt:
        if account.has_domain:
            text += f"; missing {account.missing_text(NAMED_CELLS)}"
        if account.reasons:
            text += f"; why: {'; '.join(account.reasons)}"
        if account.hint:
            text += f"; hint: {account.hint}"
    return text


def clause_dict(account: ClauseAccount) -> dict[str, Any]:
    """The account as plain data (`schema._CLAUSE`)."""
    return {
        "id": account.clause,
        "text": account.text,
        "state": state(account),
        "exercised": account.complete,
        "exempt": account.exempt,
        "axes": [axis for axis, _value in account.domain[0]],
        "cells": len(account.domain),
        "cells_exercised": len(account.exercised),
        # An outside clause misses nothing: no check could exercise it.
        "missing": [] if account.exempt else [dict(cell) for cell in account.missing],
        "reasons": list(account.reasons) if account.missing and not account.exempt else [],
        "hint": account.hint,
    }


def tally(verdicts: list[RuleVerdict]) -> tuple[int, int]:
    """Over the selected parts that passed: clauses not wholly exercised, and all clauses."""
    passed = [v for v in verdicts if v.selected and v.ok]
    accounts = [a for v in passed for a in v.clauses if not a.exempt]
    return sum(1 for a in accounts if not a.complete), len(accounts)


def headline(verdict: RuleVerdict) -> str:
    """`4 of 5 clauses exercised` over the part's clauses that can be judged."""
    judged = [a for a in verdict.clauses if not a.exempt]
    done = sum(1 for a in judged if a.complete)
    return f"{done} of {len(judged)} clauses exercised"
