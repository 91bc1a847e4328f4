"""What a check found about one rule part: pass, fail or not exercised, with evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from campaign_contract.transport.exchange import Exchange


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WAIVED = "waived"
    NOT_EXERCISED = "not_exercised"


@dataclass(frozen=True, slots=True)
class Finding:
    """One failure: what was wrong and the request sequence that shows it."""

    message: str
    evidence: tuple[Exchange, ...] = ()


@dataclass(slots=True)
class CheckResult:
    """The verdict of one check on one rule part."""

    check: str
    rule: str
    status: Status
    message: str = ""
    findings: list[Finding] = field(default_factory=list)
    requests: int = 0


@dataclass(slots=True)
class RuleVerdict:
    """The verdict on one rule part, over every check that exercised it."""

    rule: str
    status: Status
    reason: str = ""
    #: False when the run's selection (--level, --only, --skip) left the rule out.
    selected: bool = True
    results: list[CheckResult] = field(default_factory=list)
    waiver_reason: str | None = None
    #: A waiver problem to flag: the waived rule passed, or the waiver expired.
    waiver_note: str | None = None

    @property
    def findings(self) -> list[Finding]:
        return [f for result in self.results for f in result.findings]

    @property
    def ok(self) -> bool:
        return self.status in (Status.PASS, Status.WAIVED)

    @property
    def partial(self) -> bool:
        """A pass some of whose checks were not exercised: every report says so."""
        return self.status is Status.PASS and any(
            r.status is Status.NOT_EXERCISED for r in self.results
        )
