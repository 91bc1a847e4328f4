"""Authentication with HTTP Basic (V-5) and the 401 answer to bad credentials (V-4), on every
endpoint and method that needs credentials and for every way of getting them wrong."""

from __future__ import annotations

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.robustness import flows
from campaign_contract.robustness.flows import Flow, Target, targets
from campaign_contract.robustness.targets import MISSING, require_auth
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import BasicAuth

MISSING_CLAUSE = "V-4.missing-credentials-are-401"
WRONG_CLAUSE = "V-4.wrong-credentials-are-401"
CHALLENGE_CLAUSE = "V-4.401-challenges-basic"
CODE_CLAUSE = "V-3.code-unauthorized"
LOGOUT_CLAUSE = "V-5.logout-ends-the-session"


def expect_unauthorized(t: Probe, answer: Exchange, what: str) -> None:
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


def note(t: Probe, endpoint: str, flow: str, *, head: bool) -> None:
    """The cells one request judged: its 401 clause, the challenge and (with a body) the code."""
    t.exercised(MISSING_CLAUSE if flow == "none" else WRONG_CLAUSE, endpoint=endpoint, flow=flow)
    t.exercised(CHALLENGE_CLAUSE, endpoint=endpoint, flow=flow)
    if not head:
        t.exercised(CODE_CLAUSE, endpoint=endpoint, flow=flow)
    if flow == "ended session":
        t.exercised(LOGOUT_CLAUSE, endpoint=endpoint)


def judge_flow(t: Probe, target: Target, flow: Flow) -> None:
    answer = t.request(
        target.method, target.path, auth=flow.auth, headers=flow.headers or None, **target.kwargs
    )
    note(t, target.label, flow.name, head=target.method == "HEAD")
    expect_unauthorized(t, answer, f"{target.label} ({flow.name})")


@check("V-4", "V-3p", "V-5")
def missing_credentials_are_401(t: Probe) -> None:
    """A request without credentials is a 401 with `WWW-Authenticate: Basic`, on every
    endpoint and method that needs them."""
    require_auth(t)
    for target in targets(t):
        t.begin()
        judge_flow(t, target, flows.NONE)


@check("V-4", "V-3p", "V-5")
def wrong_credentials_are_401(t: Probe) -> None:
    """A wrong password, an unknown user, a broken Authorization header, a made-up or ended
    session is a 401 with `WWW-Authenticate: Basic`, on every endpoint and method; so is a
    wrong password or user at `/login/`.

    The wrong password is made up (see `wrong`), so reports show it as sent; the unknown user
    is tried with the real password (shown REDACTED), so only the user name is wrong.
    """
    require_auth(t)
    wrong = flows.wrong_flows(t)
    for target in targets(t):
        for flow in wrong:
            t.begin()
            judge_flow(t, target, flow)
    for flow in flows.login_flows(t):
        t.begin()
        answer = t.post("/login/", form=flow.form, auth=None)
        note(t, "POST /login/", flow.name, head=False)
        expect_unauthorized(t, answer, f"POST /login/ ({flow.name})")


@check("V-5")
def basic_credentials_are_accepted(t: Probe) -> None:
    """HTTP Basic with the account password, and with an API key, authenticates."""
    require_auth(t)
    auth = t.ctx.config.auth
    campaign_id = t.campaign_id()
    keys = [("password", auth.password)] + ([("API key", auth.api_key)] if auth.api_key else [])
    for label, secret in keys:
        t.begin()
        credentials = BasicAuth(auth.username, secret)
        if campaign_id is not None:
            answer = t.get(f"/campaign/{campaign_id}", auth=credentials)
            ok = answer.success() is True
        else:
            answer = t.get(MISSING, auth=credentials)
            ok = answer.answered and answer.status not in (401, 403)
        t.expect(ok, "V-5", f"Basic with the {label} is refused: {answer.describe()}", answer)
