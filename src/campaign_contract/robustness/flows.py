"""The ways a request can come without valid credentials (V-4's 401 domain), and the endpoints
and methods each is tried on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from campaign_contract.engine.probe import Probe
from campaign_contract.robustness.targets import MISSING
from campaign_contract.robustness.wrong import wrong_password
from campaign_contract.transport.http import BasicAuth, Credentials, SessionAuth, session_token

#: Authorization headers no server can read as valid credentials.
BROKEN_HEADERS: Final = (
    ("header not base64", "Basic !!!not-base64"),
    ("empty Basic", "Basic "),
    ("Bearer token", "Bearer cc-token"),
    ("Basic without a colon", "Basic Zm9v"),
)


@dataclass(frozen=True, slots=True)
class Flow:
    """One way of (not) authenticating: Basic, a raw header, a cookie, or /login/'s form."""

    name: str
    auth: Credentials = None
    headers: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)


NONE: Final = Flow("none")


@dataclass(frozen=True, slots=True)
class Target:
    """An endpoint and method that needs credentials, with the body it is sent."""

    method: str
    path: str
    endpoint: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.method} {self.endpoint}"


def _ended_session(t: Probe) -> str | None:
    """A token from /login/ that /logout/ has ended (None when the server gave none)."""
    auth = t.ctx.config.auth
    login = t.post(
        "/login/", form={"username": auth.username, "password": auth.password}, auth=None
    )
    from_data, from_cookie = session_token(login)
    token = from_cookie or from_data
    if token is not None:
        t.post("/logout/", auth=SessionAuth(token))
    return token


def wrong_flows(t: Probe) -> list[Flow]:
    """Every wrong-credential flow: Basic with a wrong password or user, broken headers, a
    made-up session cookie, and a session /logout/ ended."""
    auth = t.ctx.config.auth
    tag = t.ctx.run_tag.strip("[]")
    found = [
        Flow("wrong password", BasicAuth(auth.username, wrong_password(t.ctx))),
        Flow("wrong user", BasicAuth(f"nobody-{tag}", auth.password)),
        *(Flow(name, headers={"Authorization": value}) for name, value in BROKEN_HEADERS),
        Flow("made-up session", SessionAuth(f"cc-no-session-{tag}")),
    ]
    ended = t.ctx.shared("ended-session", lambda: _ended_session(t))
    if ended is not None:
        found.append(Flow("ended session", SessionAuth(ended)))
    else:
        reason = "POST /login/ gave no session token, so no ended session could be tried"
        for clause in ("V-4.wrong-credentials-are-401", "V-4.401-challenges-basic"):
            t.cannot(clause, reason, flow="ended session")
        t.cannot("V-5.logout-ends-the-session", reason)
    return found


def login_flows(t: Probe) -> list[Flow]:
    """Wrong credentials in /login/'s form: the password, or the user (with the password)."""
    auth = t.ctx.config.auth
    tag = t.ctx.run_tag.strip("[]")
    return [
        Flow("wrong password", form={"username": auth.username, "password": wrong_password(t.ctx)}),
        Flow("wrong user", form={"username": f"nobody-{tag}", "password": auth.password}),
    ]


def _target_id(t: Probe) -> str:
    """A campaign of this run's own for the item methods (a wrongly served DELETE ends it, not
    the shared one), else a missing id's path."""
    created = t.ctx.shared("auth-target", lambda: t.ctx.create_campaign("auth target"))
    t.use(created)
    value = created.data().get("id") if created.success() is True else None
    return f"/campaign/{value}" if isinstance(value, int) else MISSING


def targets(t: Probe) -> list[Target]:
    """Every endpoint and method that needs credentials (OPTIONS is left out: a server may
    answer it to anyone, as browsers send it without credentials)."""
    item = _target_id(t)
    fields = {"name": t.ctx.campaign_name("anonymous"), "list": str(t.ctx.config.lists[0].id)}
    return [
        Target("POST", "/campaign", "/campaign", {"form": fields}),
        Target("GET", item, "/campaign/{id}"),
        Target("HEAD", item, "/campaign/{id}"),
        Target("PUT", item, "/campaign/{id}", {"form": {"name": t.ctx.campaign_name("nobody")}}),
        Target("DELETE", item, "/campaign/{id}"),
        Target("POST", "/logout/", "/logout/"),
    ]
