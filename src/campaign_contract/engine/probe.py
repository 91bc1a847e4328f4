"""The handle a check works through: sends requests, records findings per rule part and the
clause cells it exercised."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, NoReturn

from campaign_contract import coverage
from campaign_contract.coverage import Cell, Clause
from campaign_contract.engine import envelope
from campaign_contract.engine.context import RunContext
from campaign_contract.engine.outcome import CheckResult, Finding, Status
from campaign_contract.engine.registry import Check
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import Client

#: A check reports at most this many findings per rule part.
MAX_FINDINGS = 5
NO_USABLE_ANSWER = "no answer this check got was the API's JSON envelope: nothing to judge"


class NotExercisedError(Exception):
    """Raised by `Probe.skip`: the check could not exercise its rules, and says why."""


#: V-4's clause on the envelope of every pre-application failure, judged by `expect_rejected`
#: on each status V-4 names.
ENVELOPE_CLAUSE = "V-4.failures-keep-the-envelope"
ENVELOPED_STATUSES = ("400", "401", "404", "405", "413", "415")


class Probe:
    """Per-check view of the run. Findings are soft: a check goes on after one."""

    def __init__(self, ctx: RunContext, check: Check) -> None:
        self.ctx = ctx
        self.check = check
        self._findings: dict[str, list[Finding]] = {rule: [] for rule in check.rules}
        self._unexercised: dict[str, str] = {}
        self._cells: dict[str, set[Cell]] = {}
        self._cannot: dict[str, list[tuple[Cell, str]]] = {}
        self._prelude: list[Exchange] = []
        self._rng: random.Random | None = None
        self._first = len(ctx.client.history)
        self._scenario = self._first

    @property
    def client(self) -> Client:
        return self.ctx.client

    @property
    def rng(self) -> random.Random:
        """A generator seeded by the run's seed and this check's name alone."""
        if self._rng is None:
            self._rng = random.Random(f"{self.ctx.seed}:{self.check.name}")
        return self._rng

    def campaign_id(self) -> int | None:
        """The id of the run's shared DRAFT campaign (created once), or None if none could be."""
        exchange = self.ctx.shared_campaign()
        self.use(exchange)
        value = exchange.data().get("id") if exchange.success() else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def exchanges(self) -> list[Exchange]:
        """Every exchange this check has made so far."""
        return self.client.history[self._first :]

    def wants(self, rule: str) -> bool:
        """Whether this run judges the rule part (a check may skip requests only it needs)."""
        return rule in self.ctx.selected

    def request(self, method: str, path: str, **kwargs: Any) -> Exchange:
        return self.client.request(method, path, **kwargs)

    def use(self, exchange: Exchange) -> None:
        """Count an exchange made before this check (a shared setup) into its evidence."""
        if all(e is not exchange for e in self._prelude):
            self._prelude.append(exchange)

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.client.get(path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Exchange:
        return self.client.post(path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Exchange:
        return self.client.put(path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Exchange:
        return self.client.delete(path, **kwargs)

    def begin(self) -> None:
        """Start a new request sequence: later evidence leaves out earlier exchanges."""
        self._scenario = len(self.client.history)

    # Verdicts -----------------------------------------------------------------

    def fail(
        self,
        rule: str,
        message: str,
        exchange: Exchange | None = None,
        *,
        evidence: Sequence[Exchange] | None = None,
    ) -> None:
        """Record a failure of `rule`; evidence is this sequence up to `exchange`.

        `evidence`, when given, is the whole evidence instead (e.g. callbacks the server made,
        which are no exchange of the client's).
        """
        if rule not in self._findings:
            raise ValueError(f"check {self.check.name} does not declare rule {rule}")
        if not self.wants(rule) or len(self._findings[rule]) >= MAX_FINDINGS:
            return
        if evidence is not None:
            self._findings[rule].append(Finding(message=message, evidence=tuple(evidence)))
            return
        history = self.client.history
        position = None
        if exchange is not None:
            position = next(
                (i for i in range(len(history) - 1, self._first - 1, -1) if history[i] is exchange),
                None,
            )
        if exchange is None:
            steps = history[self._scenario :]
        elif position is None:
            # Made before this check (a final check judging the whole run): it stands alone.
            steps = [exchange]
        else:
            steps = history[min(max(self._scenario, self._first), position) : position + 1]
        fresh = [e for e in steps if all(e is not p for p in self._prelude)]
        evidence = (*self._prelude, *fresh)
        self._findings[rule].append(Finding(message=message, evidence=evidence))

    def expect(self, ok: bool, rule: str, message: str, exchange: Exchange | None = None) -> bool:
        if not ok:
            self.fail(rule, message, exchange)
        return ok

    def skip(self, reason: str) -> NoReturn:
        """Stop the check: none of its rules was exercised, for this reason."""
        raise NotExercisedError(reason)

    def unexercised(self, rule: str, reason: str) -> None:
        """Mark one rule part as not exercised by this check (unless it already failed)."""
        self._unexercised.setdefault(rule, reason)

    # Clause accounting -----------------------------------------------------------

    def _clause(self, clause_id: str) -> Clause:
        """The clause, if this check may report on it; ValueError (a suite bug) if not."""
        found = coverage.clause(clause_id)
        if found.part not in self._findings:
            raise ValueError(
                f"check {self.check.name} does not declare {found.part}, the part of {clause_id}"
            )
        return found

    def exercised(self, clause_id: str, **cell: str) -> None:
        """Record that this check exercised (and judged) clause `clause_id` on this cell.

        A clause without a `domain` takes no cell: `probe.exercised("C-2.at-most-1000")`.
        Otherwise name one value of every axis: `probe.exercised(id, method="GET", path=...)`.
        Call it once the check judged the cell, whether or not it found a fault.
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

        Also judges V-3p's code value when the check declares it.
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
        """Whether any answer this check saw was the API's envelope.

        A check that got only transport errors, endless bodies or non-JSON has nothing its
        silence could vouch for: its parts are not exercised, never passed. A final check, or
        one that sent nothing itself (it judges what a shared step saw, e.g. the callbacks),
        is held to the run's answers so far.
        """
        own = [*self._prelude, *self.exchanges]
        pool = self.client.history if self.check.final or not own else own
        return any(e.answered and not e.truncated and e.success() is not None for e in pool)

    def results(self, skipped: str | None = None) -> list[CheckResult]:
        """One result per selected rule part this check declares."""
        out = []
        count = len(self.exchanges)
        judged = skipped is not None or self.judged_an_answer()
        for rule, findings in self._findings.items():
            if not self.wants(rule):
                continue
            if findings:
                result = CheckResult(
                    self.check.name, rule, Status.FAIL, findings[0].message, findings, count
                )
            elif skipped is not None or rule in self._unexercised or not judged:
                reason = (
                    skipped
                    if skipped is not None
                    else self._unexercised.get(rule, NO_USABLE_ANSWER)
                )
                result = CheckResult(self.check.name, rule, Status.NOT_EXERCISED, reason, [], count)
            else:
                result = CheckResult(self.check.name, rule, Status.PASS, "", [], count)
            mine = {c.id for c in coverage.clauses_of(rule)}
            result.cells = {k: frozenset(v) for k, v in self._cells.items() if k in mine}
            result.cannot = {k: tuple(v) for k, v in self._cannot.items() if k in mine}
            out.append(result)
        return out
