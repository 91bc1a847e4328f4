"""What every answer must be, whatever was asked: an answer and never a 5xx (V-4), the
envelope when it is JSON (V-2), and JSON for the `Accept` V-1 names."""

from __future__ import annotations

from typing import Final

from campaign_contract.engine.envelope import envelope_problem
from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.transport.exchange import Exchange

ENVELOPE: Final = "V-2"
WIRE: Final = "V-4"


def judge_answer(v: Verdicts, answer: Exchange) -> bool:
    """V-4: an answer, never a 5xx; V-2: a JSON answer (or one typed JSON) is the envelope.

    True when the answer is an envelope the judges of its request may go on with.
    """
    if not answer.answered:
        v.fail(WIRE, f"no answer: {answer.error}", answer)
        return False
    server_error = (answer.status or 0) >= 500
    if server_error:
        v.fail(WIRE, f"a {answer.status}: {answer.describe()}", answer)
    if answer.method != "HEAD" and (answer.parses_as_json or answer.is_json_type):
        problem = envelope_problem(answer) if answer.parses_as_json else "body is not JSON"
        if problem is not None:
            v.fail(ENVELOPE, f"{problem}: {answer.describe()}", answer)
            return False
    return answer.parses_as_json and not server_error


def accept_rule(exchange: Exchange) -> str | None:
    """The part of V-1 the request's `Accept` falls under: `application/json` is V-1's, none
    or `*/*` V-1p's; any other (a page may be preferred) binds no JSON."""
    accept = exchange.request_header("Accept")
    if accept is None or accept.strip() == "*/*":
        return "V-1p"
    return "V-1" if accept.strip().lower() == "application/json" else None


def judge_accept(v: Verdicts, rule: str, exchange: Exchange, shown: str) -> bool:
    """V-1 (or V-1p, `rule`): the answer is JSON; V-2: then it is the envelope. True if both."""
    json_ok = v.expect_json(rule, exchange)
    if not exchange.parses_as_json:
        return False
    problem = envelope_problem(exchange)
    enveloped = v.expect(
        problem is None, ENVELOPE, f"{shown}: not the envelope: {problem}", exchange
    )
    return json_ok and enveloped
