"""Application-level failures are HTTP 200 with `success: false` (V-3)."""

from __future__ import annotations

from campaign_contract.engine.envelope import errors_problem
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.transport.exchange import Exchange

#: A well-formed list id that no test server holds.
UNKNOWN_LIST = "999999999"


def _judge(t: Probe, answer: Exchange, code: str, field: str | None) -> None:
    if t.expect_status("V-3", answer, 200):
        t.expect_failure("V-3", answer)
    if answer.success() is False:
        t.expect_code("V-3p", answer, code)
        problem = errors_problem(answer, field)
        t.expect(problem is None, "V-3p", problem or "", answer)


@check("V-3", "V-3p")
def application_failures_are_200(t: Probe) -> None:
    """A wrong type, an unknown reference and a forbidden state are HTTP 200 failures."""
    config = t.ctx.config
    base = [("name", t.ctx.campaign_name("rejected")), ("state", "DRAFT")]
    wrong_type = [*base, ("domain", "not-a-number"), ("list", str(config.lists[0].id))]
    _judge(t, t.post("/campaign", form=wrong_type), "invalid", "domain")
    t.begin()
    unknown = [*base, ("domain", str(config.domains.bouncing)), ("list", UNKNOWN_LIST)]
    _judge(t, t.post("/campaign", form=unknown), "reference", "list")
    campaign_id = t.campaign_id()
    if campaign_id is not None:
        t.begin()
        answer = t.put(f"/campaign/{campaign_id}", form={"state": "SENDING"})
        _judge(t, answer, "conflict", None)
