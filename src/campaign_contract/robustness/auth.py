"""Authentication with HTTP Basic (V-5) and the 401 answer to bad credentials (V-4)."""

from __future__ import annotations

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.robustness.targets import MISSING, readable_path, require_auth
from campaign_contract.robustness.wrong import wrong_password
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import BasicAuth


def expect_unauthorized(t: Probe, answer: Exchange, what: str) -> None:
    """V-5: not served; V-4: a 401 asking for Basic, with the envelope."""
    t.expect(
        answer.success() is not True,
        "V-5",
        f"{what} is served without valid credentials: {answer.describe()}",
        answer,
    )
    t.expect_rejected(answer, 401)
    challenge = answer.header("WWW-Authenticate") or ""
    if answer.status == 401 and not challenge.lower().startswith("basic"):
        t.fail("V-4", f"401 without `WWW-Authenticate: Basic` (got {challenge!r})", answer)


@check("V-4", "V-3p", "V-5")
def missing_credentials_are_401(t: Probe) -> None:
    """A request without credentials is a 401 with `WWW-Authenticate: Basic`."""
    require_auth(t)
    path = readable_path(t)
    expect_unauthorized(t, t.get(path, auth=None), f"GET {path}")
    t.begin()
    fields = {"name": t.ctx.campaign_name("anonymous"), "list": str(t.ctx.config.lists[0].id)}
    expect_unauthorized(t, t.post("/campaign", form=fields, auth=None), "POST /campaign")


@check("V-4", "V-3p", "V-5")
def wrong_credentials_are_401(t: Probe) -> None:
    """A wrong password, an unknown user or a broken Authorization header is a 401.

    The wrong password is made up (see `wrong`), so reports show it as sent; the unknown user
    is tried with the real password (shown REDACTED), so only the user name is wrong.
    """
    require_auth(t)
    auth = t.ctx.config.auth
    path = readable_path(t)
    for credentials in (
        BasicAuth(auth.username, wrong_password(t.ctx)),
        BasicAuth(f"nobody-{t.ctx.run_tag.strip('[]')}", auth.password),
    ):
        t.begin()
        expect_unauthorized(t, t.get(path, auth=credentials), f"GET {path}")
    for header in ("Basic !!!not-base64", "Basic ", "Bearer cc-token", "Basic Zm9v"):
        t.begin()
        answer = t.get(path, auth=None, headers={"Authorization": header})
        expect_unauthorized(t, answer, f"GET {path}")


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
