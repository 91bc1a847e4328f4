"""What any traffic proves, whoever else wrote meanwhile: the judges of answers a passive source
(a proxy, a recording) saw without knowing every write. Each holds on one answer, or on one
answer and the campaign as an answer that ended before it showed it, so a FAIL here is one
every conforming server would avoid on the same traffic."""

from __future__ import annotations

from typing import Any

from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges.machine import SENT, STATES, judge_transition, possible_states
from campaign_contract.transport.exchange import Exchange

#: Routes whose 2xx carries the campaign (R-3): template -> methods.
CAMPAIGN_ROUTES = {"/campaign": ("POST",), "/campaign/{id}": ("GET", "PUT", "DELETE")}


def after_sent(v: Verdicts, before: dict[str, Any], exchange: Exchange) -> None:
    """M-1 and M-5 on a success after the campaign was seen SENDING, DONE or ERROR: nothing
    leaves DONE or ERROR, SENDING never returns to a client state, and no PUT succeeds (nor
    a DELETE while SENDING). From a client state, a write the traffic did not show may
    explain any step, so nothing is judged."""
    last = before.get("state")
    if not isinstance(last, str) or last not in SENT:
        return
    if exchange.method == "PUT":
        v.fail("M-5", f"a PUT succeeded on campaign {before.get('id')}, seen {last} "
               f"before it was sent: {exchange.describe()}", exchange)  # fmt: skip
        return
    if exchange.method == "DELETE" and exchange.data().get("state") == "SENDING":
        v.fail("M-5", f"a DELETE succeeded while the campaign was SENDING: "
               f"{exchange.describe()}", exchange)  # fmt: skip
    if exchange.data().get("state") in STATES:
        judge_transition(v, possible_states(last, None, None), exchange)


def started_early(v: Verdicts, exchange: Exchange, answered: float, skew: float) -> bool:
    """M-4 on a success showing a campaign SENDING, DONE or ERROR: it started, and only once
    its `when` had come; its `when` cannot have changed since (M-5 refuses a PUT then). So a
    `when` ahead of the server's clock when it answered (at most this machine's `answered`
    plus `skew`, for a server whose clock runs at real time) is a start before its time.
    True when the answer could be judged so."""
    data = exchange.data()
    when, state = data.get("when"), data.get("state")
    if state not in SENT or not isinstance(when, int) or isinstance(when, bool):
        return False
    ahead = when - answered
    if ahead > skew:
        v.fail(
            "M-4",
            f"campaign {data.get('id')} is {state} while its `when` {when} is still "
            f"{ahead:.0f} s ahead of this machine's clock (limits.clock_skew {skew:g} s): "
            "it started before its `when`",
            exchange,
        )
    return True


def success_without_campaign(
    v: Verdicts, exchange: Exchange, template: str | None, status: int | None
) -> None:
    """R-3: a 2xx to a campaign's GET, POST, PUT or DELETE whose body is no JSON (an empty
    204, a page): the application ran and returned no campaign."""
    if (
        status is None
        and exchange.answered
        and 200 <= (exchange.status or 0) < 300
        and exchange.method in CAMPAIGN_ROUTES.get(template or "", ())
        and not exchange.parses_as_json
    ):
        v.fail("R-3", f"{exchange.method} {exchange.url} succeeded without returning the "
               f"campaign: {exchange.describe()}", exchange)  # fmt: skip
