"""What a judge records, with no network: findings per rule part, the clause cells it
exercised or could not, and the common judgements of one answer. `Probe` adds the requests of
an active check; a passive source of traffic (a proxy, a recording) feeds a `Verdicts` alone,
so one judge per clause serves `run`, `proxy` and `judge` (docs/design/proxy-and-judge.md)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import NoReturn

from campaign_contract import coverage
from campaign_contract.coverage import Cell, Clause
from campaign_contract.engine import envelope
from campaign_contract.engine.outcome import CheckResult, Finding, Status
from campaign_contract.transport.exchange import Exchange

#: A judge reports at most this many findings per rule part.
MAX_FINDINGS = 5
NO_USABLE_ANSWER = "no answer this check got was the API's JSON envelope: nothing to judge"

#: V-4's clause on the envelope of every pre-application failure, judged by `expect_rejected`
#: on each status V-4 names.
ENVELOPE_CLAUSE = "V-4.failures-keep-the-envelope"
ENVELOPED_STATUSES = ("400", "401", "404", "405", "413", "415")


class NotExercisedError(Exception):
    """Raised by `Verdicts.skip`: the judge could not exercise its rules, and says why."""


class Verdicts:
    """Findings of one judge (a check, or a passive judge) on the rule parts it declares.

    Findings are soft: a judge goes on after one. Evidence of a finding is `evidence_for`'s
    answer (the exchange alone here; `Probe` adds the request sequence that led to it).
    """

    def __init__(self, name: str, rules: Iterable[str], selected: Collection[str]) -> None:
        self.name = name
        self._selected = selected
        self._findings: dict[str, list[Finding]] = {rule: [] for rule in rules}
        self._unexercised: dict[str, str] = {}
        self._cells: dict[str, set[Cell]] = {}
        self._cannot: dict[str, list[tuple[Cell, str]]] = {}
        #: Whether an answer seen was the API's envelope (`judged_an_answer`).
        self.answered = False

    def wants(self, rule: str) -> bool:
        """Whether this run judges the rule part (a judge may skip work only it needs)."""
        return rule in self._selected

    def evidence_for(self, exchange: Exchange | None) -> tuple[Exchange, ...]:
        """The exchanges that show a finding about `exchange` (None: about the whole)."""
        return () if exchange is None else (exchange,)

    def fail(
        self,
        rule: str,
        message: str,
        exchange: Exchange | None = None,
        *,
        evidence: Sequence[Exchange] | None = None,
    ) -> None:
        """Record a failure of `rule`; evidence is `evidence_for(exchange)`, or `evidence`
        when given (e.g. callbacks the server made, which are no exchange of the client's)."""
        if rule not in self._findings:
            raise ValueError(f"{self.name} does not declare rule {rule}")
        if not self.wants(rule) or len(self._findings[rule]) >= MAX_FINDINGS:
            return
        shown = tuple(evidence) if evidence is not None else self.evidence_for(exchange)
        self._findings[rule].append(Finding(message=message, evidence=shown))

    def expect(self, ok: bool, rule: str, message: str, exchange: Exchange | None = None) -> bool:
        if not ok:
            self.fail(rule, message, exchange)
        return ok

    def skip(self, reason: str) -> NoReturn:
        """Stop the judge: none of its rules was exercised, for this reason."""
        raise NotExercisedError(reason)

    def unexercised(self, rule: str, reason: str) -> None:
        """Mark one rule part as not exercised by this judge (unless it already failed)."""
        self._unexercised.setdefault(rule, reason)

    # Clause accounting -----------------------------------------------------------

    def _clause(self, clause_id: str) -> Clause:
        """The clause, if this judge may report on it; ValueError (a suite bug) if not."""
        found = coverage.clause(clause_id)
        if found.part not in self._findings:
            raise ValueError(f"{self.name} does not declare {found.part}, the part of {clause_id}")
        return found

    def exercised(self, clause_id: str, **cell: str) -> None:
        """Record that this judge exercised (and judged) clause `clause_id` on this cell.

        A clause without a `domain` takes no cell: `v.exercised("C-2.at-most-1000")`.
        Otherwise name one value of every axis: `v.exercised(id, method="GET", path=...)`.
        Call it once the cell was judged, whether or not a fault was found.
        """
        found = self._clause(clause_id)
        self._cells.setdefault(clause_id, set()).add(found.cell(cell))

    def cannot(self, clause_id: str, reason: str, **cell: str) -> None:
        """Record that the clause (or the cells matching a partial `cell`) could not be
        exercised in this run, and why (what the target or the config lacked)."""
        found = self._clause(clause_id)
        self._cannot.setdefault(clause_id, []).append((found.cell(cell, partial=True), reason))

    # Common judgements ----------------------------------------------------------

    def expect_status(self, rule: str, exchange: Exchange, *statuses: int) -> bool:
        if exchange.status in statuses:
            return True
        wanted = " or ".join(str(s) for s in statuses)
        self.fail(rule, f"expected HTTP {wanted}, got {exchange.describe()}", exchange)
        return False

    def expect_json(self, rule: str, exchange: Exchange) -> bool:
        problem = envelope.json_problem(exchange)
        return self.expect(problem is None, rule, f"response is not JSON: {problem}", exchange)

    def expect_envelope(self, rule: str, exchange: Exchange) -> bool:
        if not exchange.parses_as_json:
            return False
        problem = envelope.envelope_problem(exchange)
        return self.expect(problem is None, rule, f"not the envelope: {problem}", exchange)

    def expect_failure(self, rule: str, exchange: Exchange) -> bool:
        """A failure envelope: `success` false and a text `data.error`."""
        problem = envelope.failure_problem(exchange) if exchange.parses_as_json else None
        if problem is None and not exchange.parses_as_json:
            problem = f"body is not JSON: {exchange.describe()}"
        return self.expect(problem is None, rule, f"not a failure envelope: {problem}", exchange)

    def expect_code(self, rule: str, exchange: Exchange, code: str) -> bool:
        problem = envelope.code_problem(exchange, code)
        return self.expect(problem is None, rule, problem or "", exchange)

    def expect_refused(self, rule: str, exchange: Exchange, code: str, what: str) -> bool:
        """An application-level refusal (`success: false`) with this `data.code`."""
        accepted = f"{what} is accepted: {exchange.describe()}"
        if not self.expect(exchange.success() is False, rule, accepted, exchange):
            return False
        return self.expect_code(rule, exchange, code)

    def expect_rejected(self, exchange: Exchange, status: int, rule: str = "V-4") -> None:
        """V-4's shape of a pre-application failure: this status, the envelope and its code.

        Also judges V-3p's code value when the judge declares it.
        """
        if not self.expect_status(rule, exchange, status):
            return
        if self.expect_failure(rule, exchange) and not exchange.data().get("code"):
            self.fail(rule, "`data.code` is missing", exchange)
        if rule == "V-4" and str(status) in ENVELOPED_STATUSES:
            self.exercised(ENVELOPE_CLAUSE, status=str(status))
        if "V-3p" in self._findings and status in envelope.CODE_FOR_STATUS:
            self.expect_code("V-3p", exchange, envelope.CODE_FOR_STATUS[status])

    # Result -------------------------------------------------------------------

    def judged_an_answer(self) -> bool:
        """Whether an answer this judge saw was the API's envelope: a judge that saw only
        transport errors, endless bodies or non-JSON has nothing its silence could vouch for,
        so its parts are not exercised, never passed."""
        return self.answered

    def exchange_count(self) -> int:
        """How many exchanges the results say the judge made (none: it only judged)."""
        return 0

    def results(self, skipped: str | None = None) -> list[CheckResult]:
        """One result per selected rule part this judge declares."""
        out = []
        count = self.exchange_count()
        judged = skipped is not None or self.judged_an_answer()
        for rule, findings in self._findings.items():
            if not self.wants(rule):
                continue
            if findings:
                message = findings[0].message
                result = CheckResult(self.name, rule, Status.FAIL, message, findings, count)
            elif skipped is not None or rule in self._unexercised or not judged:
                reason = (
                    skipped
                    if skipped is not None
                    else self._unexercised.get(rule, NO_USABLE_ANSWER)
                )
                result = CheckResult(self.name, rule, Status.NOT_EXERCISED, reason, [], count)
            else:
                result = CheckResult(self.name, rule, Status.PASS, "", [], count)
            mine = {c.id for c in coverage.clauses_of(rule)}
            result.cells = {k: frozenset(v) for k, v in self._cells.items() if k in mine}
            result.cannot = {k: tuple(v) for k, v in self._cannot.items() if k in mine}
            out.append(result)
        return out
