"""The evidence of a verdict in a form every report shares: checks, messages, curl, responses."""

from __future__ import annotations

from dataclasses import dataclass

from campaign_contract.coverage import rules
from campaign_contract.engine.outcome import RuleVerdict
from campaign_contract.transport.curl import response_text, to_curl

#: Findings shown per rule part; the rest are counted.
SHOWN_FINDINGS = 3


@dataclass(frozen=True, slots=True)
class Step:
    curl: str
    response: str
    status: int | None
    #: "METHOD URL", to name the request where it is only referred to.
    request: str = ""


@dataclass(frozen=True, slots=True)
class Shown:
    check: str
    message: str
    steps: tuple[Step, ...]


def shown_findings(
    verdict: RuleVerdict, secrets: frozenset[str] | None = None
) -> tuple[list[Shown], int]:
    """The first findings of a verdict, rendered, and how many more there are.

    Taken in turns, one finding of each failing check before a second of any: a check that
    judged many cells never hides what another check found.
    `secrets`: see `RunReport.secrets` (None redacts every credential).
    """
    queues = [(r.check, list(r.findings)) for r in verdict.results if r.findings]
    total = sum(len(found) for _check, found in queues)
    shown: list[Shown] = []
    turn = 0
    while len(shown) < min(SHOWN_FINDINGS, total):
        for check, found in queues:
            if turn < len(found) and len(shown) < SHOWN_FINDINGS:
                steps = tuple(
                    Step(to_curl(e, secrets), response_text(e), e.status, f"{e.method} {e.url}")
                    for e in found[turn].evidence
                )
                shown.append(Shown(check, found[turn].message, steps))
        turn += 1
    return shown, total - len(shown)


def failure_text(verdict: RuleVerdict, secrets: frozenset[str] | None = None) -> str:
    """A failure told as plain text: each finding's requests, responses, then the rule."""
    shown, more = shown_findings(verdict, secrets)
    lines = []
    for finding in shown:
        lines.append(f"{finding.check}: {finding.message}")
        for step in finding.steps:
            lines += [f"$ {step.curl}", step.response, ""]
    if more:
        lines.append(f"(and {more} more findings)")
    lines += ["Rule:", rules.part(verdict.rule).text]
    return "\n".join(lines)
