"""What a check found about one rule part: pass, fail or not exercised, with evidence, and
which clause cells it exercised."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from campaign_contract.coverage import Cell, format_cell
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
    #: Clause id -> the cells the check reported with `Probe.exercised` (clauses of `rule`).
    cells: dict[str, frozenset[Cell]] = field(default_factory=dict)
    #: Clause id -> (cell or partial cell, why) the check reported with `Probe.cannot`.
    cannot: dict[str, tuple[tuple[Cell, str], ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClauseAccount:
    """What one run did about one clause: the cells it exercised, the missing ones and why."""

    clause: str
    #: The clause's text (coverage table).
    text: str
    #: Every cell of the clause's domain (one empty cell for a clause without a domain).
    domain: tuple[Cell, ...]
    exercised: tuple[Cell, ...]
    #: Why cells were not exercised (from `Probe.cannot` and from checks not exercised).
    reasons: tuple[str, ...] = ()
    hint: str | None = None
    #: The clause is `outside`: no check can judge it, so it never makes a pass partial.
    exempt: bool = False

    @property
    def missing(self) -> tuple[Cell, ...]:
        done = set(self.exercised)
        return tuple(c for c in self.domain if c not in done)

    @property
    def complete(self) -> bool:
        """Every cell exercised, or exempt."""
        return self.exempt or not self.missing

    @property
    def has_domain(self) -> bool:
        return self.domain != ((),)

    def missing_text(self, limit: int = 8) -> str:
        """The missing cells, at most `limit` of them named."""
        shown = [format_cell(c) for c in self.missing[:limit]]
        more = len(self.missing) - len(shown)
        return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


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
    #: Per clause of the part (coverage table order): what this run exercised of it.
    clauses: list[ClauseAccount] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for result in self.results for f in result.findings]

    @property
    def ok(self) -> bool:
        return self.status in (Status.PASS, Status.WAIVED)

    @property
    def unexercised_clauses(self) -> list[ClauseAccount]:
        """The clauses (not exempt) with a cell this run did not exercise."""
        return [a for a in self.clauses if not a.complete]

    @property
    def partial(self) -> bool:
        """A pass some of whose checks were not exercised, or with a clause cell this run
        did not exercise: every report says so (PASS*)."""
        return self.status is Status.PASS and (
            any(r.status is Status.NOT_EXERCISED for r in self.results)
            or bool(self.unexercised_clauses)
        )
