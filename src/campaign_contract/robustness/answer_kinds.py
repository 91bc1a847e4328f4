"""One request per endpoint and answer kind (success, V-3's failure, each V-4 failure)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from campaign_contract.engine.probe import Probe
from campaign_contract.robustness.targets import MISSING, ONE_MIB
from campaign_contract.robustness.wrong import wrong_password
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import FORM, JSON, SessionAuth, session_token

#: The endpoints and methods CONTRACT.md names, and a method a path lacks (V-4's 405).
LACKS: Final = "a method the path lacks"
ENDPOINTS: Final = (
    "POST /campaign",
    "GET /campaign/{id}",
    "PUT /campaign/{id}",
    "DELETE /campaign/{id}",
    "POST /login/",
    "POST /logout/",
    LACKS,
)
#: Each (method, path) no route has: V-4 answers 405 on every one of them.
LACKING: Final = (
    ("GET", "/campaign"),
    ("PUT", "/campaign"),
    ("DELETE", "/campaign"),
    ("POST", "/campaign/{id}"),
    ("GET", "/login/"),
    ("PUT", "/login/"),
    ("DELETE", "/login/"),
    ("GET", "/logout/"),
    ("PUT", "/logout/"),
    ("DELETE", "/logout/"),
)
#: The answer kinds each endpoint can give. `/login/` has no V-3 failure nor body checks of
#: its own (which of them it makes before the credentials is open), `/logout/` none either.
KINDS: Final = {
    "POST /campaign": (
        "success", "application failure", "unauthorized", "too large",
        "unsupported media type", "malformed",
    ),
    "GET /campaign/{id}": ("success", "not found", "unauthorized"),
    "PUT /campaign/{id}": (
        "success", "application failure", "not found", "unauthorized", "too large",
        "unsupported media type", "malformed",
    ),
    "DELETE /campaign/{id}": ("success", "not found", "unauthorized"),
    "POST /login/": ("success", "unauthorized"),
    "POST /logout/": ("success", "unauthorized"),
    LACKS: ("method not allowed",),
}  # fmt: skip
#: The HTTP status V-4 gives each of its failures.
STATUS: Final = {
    "not found": 404,
    "method not allowed": 405,
    "unauthorized": 401,
    "too large": 413,
    "unsupported media type": 415,
    "malformed": 400,
}
#: The bodies of V-4 step 3, each with its Content-Type.
BAD_BODIES: Final = {
    "too large": (b"name=" + b"x" * ONE_MIB, FORM),
    "unsupported media type": (b"name=cc", "text/plain"),
    "malformed": (b'{"name": ', JSON),
}

Send = Callable[..., Exchange]


def got_the_kind(answer: str, exchange: Exchange) -> bool:
    """Whether the server gave the kind of answer the request was made to get."""
    if answer == "success":
        return exchange.status == 200 and exchange.success() is not False
    if answer == "application failure":
        return exchange.status == 200 and exchange.success() is not True
    return exchange.status == STATUS[answer]


def _own_campaign(t: Probe, label: str) -> int | None:
    """A DRAFT campaign of this check's own, free to change or delete."""
    return t.ctx.note_created(t.ctx.create_campaign(label))


def _login(t: Probe) -> Exchange:
    return t.post("/login/", form=_credentials(t), auth=None)


def _success(t: Probe, endpoint: str, send: Send, own: int) -> list[Exchange]:
    if endpoint == "POST /campaign":
        base = t.ctx.config
        form = {
            "name": t.ctx.campaign_name("answers"),
            "domain": str(base.domains.bouncing),
            "list": str(base.lists[0].id),
        }
        created = send("POST", "/campaign", form=form)
        t.ctx.note_created(created)
        return [created]
    if endpoint == "PUT /campaign/{id}":
        return [send("PUT", f"/campaign/{own}", form={"name": t.ctx.campaign_name("answers")})]
    if endpoint == "DELETE /campaign/{id}":
        doomed = _own_campaign(t, "answers deleted")
        return [] if doomed is None else [send("DELETE", f"/campaign/{doomed}")]
    if endpoint == "POST /login/":
        return [send("POST", "/login/", form=_credentials(t), auth=None)]
    if endpoint == "POST /logout/":
        from_data, from_cookie = session_token(_login(t))
        token = from_cookie or from_data
        return [] if token is None else [send("POST", "/logout/", auth=SessionAuth(token))]
    return [send("GET", f"/campaign/{own}")]


def _credentials(t: Probe, password: str | None = None) -> dict[str, str]:
    auth = t.ctx.config.auth
    return {"username": auth.username, "password": password or auth.password}


def _route(endpoint: str, ident: str) -> tuple[str, str]:
    method, path = endpoint.split(" ", 1)
    return method, path.replace("{id}", ident)


def answers_of(
    t: Probe, endpoint: str, answer: str, accept: str | None, own: int | None
) -> list[Exchange] | None:
    """The exchanges that ask `endpoint` for this kind of answer with this `Accept`; None when
    the run cannot ask (no campaign of its own to aim at, or no session to end)."""

    def send(method: str, path: str, **kwargs: object) -> Exchange:
        return t.request(method, path, accept=accept, **kwargs)

    ident = str(own) if own is not None else None
    if answer == "method not allowed":
        lacking = [(m, p.replace("{id}", ident or MISSING.rsplit("/", 1)[1])) for m, p in LACKING]
        return [send(method, path) for method, path in lacking]
    if answer == "not found":
        method, _path = _route(endpoint, "")
        form = {"form": {"name": "cc"}} if method == "PUT" else {}
        return [send(method, path, **form) for path in (MISSING, "/campaign/abc")]
    if answer == "unauthorized":
        if endpoint == "POST /login/":
            wrong = _credentials(t, wrong_password(t.ctx))
            return [send("POST", "/login/", form=wrong, auth=None)]
        if ident is None and "{id}" in endpoint:
            return None
        method, path = _route(endpoint, ident or "")
        return [send(method, path, auth=None)]
    if ident is None and "{id}" in endpoint:
        return None
    method, path = _route(endpoint, ident or "")
    if answer in BAD_BODIES:
        body, content_type = BAD_BODIES[answer]
        return [send(method, path, body=body, headers={"Content-Type": content_type})]
    if answer == "application failure":
        # An empty name is V-3's `invalid` on POST and PUT alike.
        fields: dict[str, str] = {"name": ""}
        return [send(method, path, form=fields)]
    return _success(t, endpoint, send, own or 0)
