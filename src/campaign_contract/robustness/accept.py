"""JSON by Accept header (V-1) and the envelope (V-2), on every endpoint and answer kind."""

from __future__ import annotations

from typing import Final

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.judges.wire import judge_accept
from campaign_contract.robustness.answer_kinds import ENDPOINTS, KINDS, answers_of, got_the_kind
from campaign_contract.robustness.targets import MISSING, readable_path
from campaign_contract.transport.exchange import Exchange

#: Each `Accept` V-1 names, with its rule part and clause.
ACCEPTS: Final = (
    ("application/json", "V-1", "V-1.json-for-accept-json"),
    (None, "V-1p", "V-1.json-when-accept-absent"),
    ("*/*", "V-1p", "V-1.json-for-any-accept"),
)
ENVELOPE: Final = ("V-2.success-is-present", "V-2.success-is-a-bool", "V-2.data-is-an-object")
#: Cells reached only with credentials the run can get wrong, or a session it can open.
NEED_AUTH: Final = ("unauthorized",)
NEED_AUTH_ENDPOINTS: Final = ("POST /login/", "POST /logout/")


@check("V-1", "V-1p")
def json_when_accepted(t: Probe) -> None:
    """Successes and failures are JSON for `Accept: application/json`, none, or `*/*`."""
    paths = dict.fromkeys((readable_path(t), MISSING, "/campaign/abc"))
    for path in paths:
        for rule, accept in (("V-1", "application/json"), ("V-1p", None), ("V-1p", "*/*")):
            t.begin()
            t.expect_json(rule, t.get(path, accept=accept))
    if t.ctx.config.auth.method != "none":
        t.begin()
        t.expect_json("V-1", t.get(MISSING, auth=None))


def _unreachable(t: Probe, endpoint: str, answer: str) -> str | None:
    """Why this run cannot ask for the cell, or None."""
    if t.ctx.config.auth.method == "none" and (
        answer in NEED_AUTH or endpoint in NEED_AUTH_ENDPOINTS
    ):
        return "the config sets auth.method: none (no credentials to get wrong, no session)"
    return None


@check("V-1", "V-1p", "V-2")
def answers_in_every_cell(t: Probe) -> None:
    """Every endpoint's success, V-3 failure and V-4 failures are JSON for each `Accept` V-1
    names, and the envelope (V-2)."""
    own = t.ctx.note_created(t.ctx.create_campaign("answers"))
    for endpoint in ENDPOINTS:
        for answer in KINDS[endpoint]:
            cell = {"endpoint": endpoint, "answer": answer}
            why = _unreachable(t, endpoint, answer)
            for accept, rule, clause in ACCEPTS:
                t.begin()
                sent = None if why else answers_of(t, endpoint, answer, accept, own)
                if sent is None:
                    reason = why or "no campaign of its own (or no session) to aim the request at"
                    t.cannot(clause, reason, **cell)
                    continue
                _judge(t, rule, clause, cell, sent)


def _judge(t: Probe, rule: str, clause: str, cell: dict[str, str], sent: list[Exchange]) -> None:
    for exchange in sent:
        shown = f"{cell['endpoint']} meant to get {cell['answer']}"
        judge_accept(t, rule, exchange, shown)
        if not got_the_kind(cell["answer"], exchange):
            # Another answer than the one asked for: the cell was not reached (the V-3/V-4
            # checks judge the answer itself).
            reason = f"{shown}, got {exchange.describe()}"
            t.cannot(clause, reason, **cell)
            for other in ENVELOPE:
                t.cannot(other, reason, **cell)
            return
    t.exercised(clause, **cell)
    if all(e.parses_as_json for e in sent):
        for other in ENVELOPE:
            t.exercised(other, **cell)
