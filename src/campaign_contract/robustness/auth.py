"""Authentication with HTTP Basic (V-5) and the 401 answer to bad credentials (V-4), on every
endpoint and method that needs credentials and for every way of getting them wrong."""

from __future__ import annotations

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.judges.auth import expect_unauthorized, note
from campaign_contract.robustness import flows
from campaign_contract.robustness.flows import Flow, Target, targets
from campaign_contract.robustness.targets import MISSING, require_auth
from campaign_contract.transport.http import BasicAuth


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


API_KEY_CLAUSE = "V-5.basic-with-an-api-key"


@check("V-5")
def basic_credentials_are_accepted(t: Probe) -> None:
    """HTTP Basic with the account password authenticates, and with an API key in its place
    on every method: POST, GET, PUT and DELETE of a campaign of its own."""
    require_auth(t)
    auth = t.ctx.config.auth
    campaign_id = t.campaign_id()
    credentials = BasicAuth(auth.username, auth.password)
    if campaign_id is not None:
        answer = t.get(f"/campaign/{campaign_id}", auth=credentials)
        ok = answer.success() is True
    else:
        answer = t.get(MISSING, auth=credentials)
        ok = answer.answered and answer.status not in (401, 403)
    t.expect(ok, "V-5", f"Basic with the password is refused: {answer.describe()}", answer)
    if not auth.api_key:
        t.cannot(API_KEY_CLAUSE, "the config names no API key (auth.api_key)")
        return
    _api_key_on_every_method(t, BasicAuth(auth.username, auth.api_key))


def _api_key_on_every_method(t: Probe, key: BasicAuth) -> None:
    t.begin()
    made = t.post("/campaign", form=t.ctx.campaign_form("api key"), auth=key)
    ident = t.ctx.note_created(made)
    t.expect(ident is not None, "V-5", f"POST with an API key is refused: {made.describe()}", made)
    t.exercised(API_KEY_CLAUSE, method="POST")
    if ident is None:
        for method in ("GET", "PUT", "DELETE"):
            t.cannot(API_KEY_CLAUSE, "no campaign was created to use the key on", method=method)
        return
    path = f"/campaign/{ident}"
    for method, fields in (
        ("GET", {}),
        ("PUT", {"form": {"name": t.ctx.campaign_name("api key put")}}),
        ("DELETE", {}),
    ):
        answer = t.request(method, path, auth=key, **fields)
        t.expect(
            answer.success() is True,
            "V-5",
            f"{method} with an API key is refused: {answer.describe()}",
            answer,
        )
        t.exercised(API_KEY_CLAUSE, method=method)
