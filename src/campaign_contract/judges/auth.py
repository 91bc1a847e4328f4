"""The 401 answer to missing or wrong credentials (V-4, V-5), judged on one exchange: what
`robustness/auth.py` asks for, and what any client's unauthenticated request must get."""

from __future__ import annotations

from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.transport.exchange import Exchange

MISSING_CLAUSE = "V-4.missing-credentials-are-401"
WRONG_CLAUSE = "V-4.wrong-credentials-are-401"
CHALLENGE_CLAUSE = "V-4.401-challenges-basic"
CODE_CLAUSE = "V-3.code-unauthorized"
LOGOUT_CLAUSE = "V-5.logout-ends-the-session"


def expect_unauthorized(t: Verdicts, answer: Exchange, what: str) -> None:
    """V-5: not served; V-4: a 401 asking for Basic, with the envelope (HEAD: no body)."""
    t.expect(
        answer.success() is not True and (answer.status or 0) not in range(200, 300),
        "V-5",
        f"{what} is served without valid credentials: {answer.describe()}",
        answer,
    )
    if answer.method == "HEAD":
        t.expect_status("V-4", answer, 401)
    else:
        t.expect_rejected(answer, 401)
    challenge = answer.header("WWW-Authenticate") or ""
    if answer.status == 401 and not challenge.lower().startswith("basic"):
        t.fail("V-4", f"{what}: 401 without `WWW-Authenticate: Basic` (got {challenge!r})", answer)


def note(t: Verdicts, endpoint: str, flow: str, *, head: bool) -> None:
    """The cells one request judged: its 401 clause, the challenge and (with a body) the code."""
    t.exercised(MISSING_CLAUSE if flow == "none" else WRONG_CLAUSE, endpoint=endpoint, flow=flow)
    t.exercised(CHALLENGE_CLAUSE, endpoint=endpoint, flow=flow)
    if not head:
        t.exercised(CODE_CLAUSE, endpoint=endpoint, flow=flow)
    if flow == "ended session":
        t.exercised(LOGOUT_CLAUSE, endpoint=endpoint)
