"""The `sergiosgc_auth` cookie works on every endpoint and method needing credentials (V-5)."""

from __future__ import annotations

from typing import Final

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.robustness.targets import require_auth
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import SessionAuth, session_token

CLAUSE: Final = "V-5.cookie-authenticates"


def _session(t: Probe, secret: str) -> SessionAuth | None:
    auth = t.ctx.config.auth
    login = t.post("/login/", form={"username": auth.username, "password": secret}, auth=None)
    from_data, from_cookie = session_token(login)
    token = from_cookie or from_data
    return SessionAuth(token) if login.success() is True and token else None


def _own(t: Probe, label: str) -> int | None:
    return t.ctx.note_created(t.ctx.create_campaign(label))


def _judge(t: Probe, endpoint: str, answer: Exchange, ok: bool) -> None:
    t.expect(ok, "V-5", f"the cookie does not authenticate {endpoint}: {answer.describe()}", answer)
    t.exercised(CLAUSE, endpoint=endpoint)


@check("V-5")
def session_on_every_endpoint(t: Probe) -> None:
    """A session from /login/ (the account password) is accepted by every endpoint and method
    that needs credentials; one opened with an API key, where /login/ takes it, works too."""
    require_auth(t)
    session = _session(t, t.ctx.config.auth.password)
    if session is None:
        t.skip("POST /login/ gives no session (robustness.session_login_and_logout judges it)")
    own, doomed = _own(t, "session"), _own(t, "session deleted")
    if own is None or doomed is None:
        t.cannot(CLAUSE, "no campaign could be created to aim at")
    t.begin()
    created = t.post("/campaign", form=_fields(t), auth=session)
    t.ctx.note_created(created)
    _judge(t, "POST /campaign", created, created.success() is True)
    if own is not None:
        path = f"/campaign/{own}"
        for method, endpoint in (("GET", "GET /campaign/{id}"), ("HEAD", "HEAD /campaign/{id}")):
            t.begin()
            answer = t.request(method, path, auth=session)
            ok = answer.success() is True if method == "GET" else answer.status == 200
            _judge(t, endpoint, answer, ok)
        t.begin()
        answer = t.put(path, form={"name": t.ctx.campaign_name("session put")}, auth=session)
        _judge(t, "PUT /campaign/{id}", answer, answer.success() is True)
    if doomed is not None:
        t.begin()
        answer = t.delete(f"/campaign/{doomed}", auth=session)
        _judge(t, "DELETE /campaign/{id}", answer, answer.success() is True)
    t.begin()
    answer = t.post("/logout/", auth=session)
    _judge(t, "POST /logout/", answer, answer.success() is True)
    _api_key_session(t, own)


def _api_key_session(t: Probe, own: int | None) -> None:
    """An API key at /login/ may be accepted or refused (V-5 names only the password there);
    a session it opens must work."""
    key = t.ctx.config.auth.api_key
    if not key or own is None:
        return
    t.begin()
    session = _session(t, key)
    if session is not None:
        answer = t.get(f"/campaign/{own}", auth=session)
        t.expect(
            answer.success() is True,
            "V-5",
            f"a session /login/ opened with the API key does not work: {answer.describe()}",
            answer,
        )


def _fields(t: Probe) -> dict[str, str]:
    config = t.ctx.config
    return {
        "name": t.ctx.campaign_name("session post"),
        "domain": str(config.domains.bouncing),
        "list": str(config.lists[0].id),
    }
