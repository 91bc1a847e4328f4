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

    `secrets`: see `RunReport.secrets` (None redacts every credential).
    """
    shown: list[Shown] = []
    total = 0
    for result in verdict.results:
        for finding in result.findings:
            total += 1
            if len(shown) < SHOWN_FINDINGS:
                steps = tuple(
                    Step(to_curl(e, secrets), response_text(e), e.status, f"{e.method} {e.url}")
                    for e in finding.evidence
                )
                shown.append(Shown(result.check, finding.message, steps))
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
