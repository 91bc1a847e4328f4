"""The session flow: POST /login/, the `sergiosgc_auth` cookie, POST /logout/ (V-5)."""

from __future__ import annotations

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.robustness.targets import MISSING, require_auth
from campaign_contract.robustness.wrong import wrong_password
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import SessionAuth, session_token


def _authenticated(campaign_id: int | None, answer: Exchange) -> bool:
    if campaign_id is not None:
        return answer.success() is True
    return answer.answered and answer.status not in (401, 403)


@check("V-5", "V-5p")
def session_login_and_logout(t: Probe) -> None:
    """A session from /login/ authenticates through the cookie until /logout/ ends it."""
    require_auth(t)
    auth = t.ctx.config.auth
    campaign_id = t.campaign_id()
    path = f"/campaign/{campaign_id}" if campaign_id is not None else MISSING
    login = t.post(
        "/login/", form={"username": auth.username, "password": auth.password}, auth=None
    )
    from_data, from_cookie = session_token(login)
    token = from_cookie or from_data
    t.exercised("V-5.login-returns-a-token")
    if login.success() is not True or token is None:
        t.fail("V-5", f"POST /login/ gives no session token: {login.describe()}", login)
        return
    t.expect(from_data is not None, "V-5p", "POST /login/ has no `data.token`", login)
    t.expect(from_cookie is not None, "V-5p", "POST /login/ sets no `sergiosgc_auth`", login)
    t.exercised("V-5.token-in-data")
    t.exercised("V-5.token-in-set-cookie")
    if from_data and from_cookie:
        t.expect(from_data == from_cookie, "V-5p", "data.token differs from the cookie", login)
    session = SessionAuth(token)
    used = t.get(path, auth=session)
    t.expect(
        _authenticated(campaign_id, used),
        "V-5",
        f"the `sergiosgc_auth` cookie does not authenticate: {used.describe()}",
        used,
    )
    logout = t.post("/logout/", auth=session)
    t.expect(logout.success() is True, "V-5", f"POST /logout/ fails: {logout.describe()}", logout)
    after = t.get(path, auth=session)
    if campaign_id is None:
        t.unexercised("V-5", "without a readable campaign, a logged-out GET proves nothing")
    else:
        t.expect(
            after.success() is not True,
            "V-5",
            f"the session still authenticates after /logout/: {after.describe()}",
            after,
        )
    t.expect_status("V-5p", after, 401)


@check("V-5", "V-5p")
def wrong_login_is_refused(t: Probe) -> None:
    """POST /login/ with a wrong password, or a user that does not exist, gives no session
    and is a 401."""
    require_auth(t)
    auth = t.ctx.config.auth
    for wrong, form in (
        ("password", {"username": auth.username, "password": wrong_password(t.ctx)}),
        ("username", {"username": f"cc-nobody-{t.ctx.run_tag}", "password": auth.password}),
    ):
        t.begin()
        login = t.post("/login/", form=form, auth=None)
        from_data, from_cookie = session_token(login)
        t.expect(
            login.success() is not True and not (from_data or from_cookie),
            "V-5",
            f"a wrong {wrong} opens a session: {login.describe()}",
            login,
        )
        t.expect_status("V-5p", login, 401)
        t.exercised("V-5.wrong-login-is-401", wrong=wrong)
