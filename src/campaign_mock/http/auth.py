"""Who is asking: HTTP Basic with a password or API key, or the session cookie (V-5); and,
for the control API, the control token."""

from __future__ import annotations

import functools
import secrets

from flask import Request
from werkzeug.datastructures import Authorization

from campaign_mock.core import Mock
from campaign_mock.http.envelope import HttpError

SESSION_COOKIE = "sergiosgc_auth"
CHALLENGE = {"WWW-Authenticate": 'Basic realm="campaign-mock", charset="UTF-8"'}
CONTROL_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="campaign-mock control API"'}
#: The header that carries the control token, besides `Authorization: Bearer ...`.
TOKEN_HEADER = "X-Mock-Token"


def require_user(request: Request, core: Mock) -> str:
    """The authenticated username, or a 401 with a Basic challenge (V-4 step 2).

    Every credential sent must be good and name one account: Basic of one account with the
    session cookie of another (or two session cookies of two) is a 401, never the one that
    happened to be read first (with `--isolate accounts`, that would choose the world).
    A session that has ended beside good Basic credentials is no credential (the cookie jar
    of a client that logged out).
    """
    # Parsing cookies costs more than the rest of this check; most clients send none. The
    # WSGI environ is read directly: werkzeug's header lookups cost as much as the check.
    environ = request.environ
    tokens = request.cookies.getlist(SESSION_COOKIE) if "HTTP_COOKIE" in environ else []
    named: set[str] = set()
    ended = False
    for token in tokens:
        if token:
            user = core.session_user(token)
            ended = ended or user is None
            if user is not None:
                named.add(user)
    basic = _basic(environ.get("HTTP_AUTHORIZATION"))
    if basic is not None:
        username, password = basic
        if not core.check_credentials(username, password):
            raise unauthorized("Wrong username, password or API key")
        named.add(username)
    if len(named) > 1:
        raise unauthorized(
            "The credentials name more than one account (HTTP Basic and the sergiosgc_auth "
            "session cookie must be the same account's): send one account's"
        )
    if named:
        return named.pop()
    if ended:
        raise unauthorized("The session has ended or never existed; log in again")
    raise unauthorized("Authentication required: HTTP Basic or the sergiosgc_auth session cookie")


@functools.lru_cache(maxsize=256)
def _basic(header: str | None) -> tuple[str, str] | None:
    """(username, password) of a Basic `Authorization` header, as werkzeug reads it; kept
    per header, since a client sends the same one on every request."""
    credentials = Authorization.from_header(header)
    if credentials is None or credentials.type != "basic":
        return None
    return credentials.username or "", credentials.password or ""


def has_control_token(request: Request, token: str | None) -> bool:
    """Whether `request` carries the control token (`Authorization: Bearer <token>` or
    `X-Mock-Token: <token>`), compared in constant time; never when none is set."""
    if token is None:
        return False
    given = request.headers.get(TOKEN_HEADER)
    if given is None:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        given = value.strip() if scheme.lower() == "bearer" else None
    return given is not None and secrets.compare_digest(given.encode(), token.encode())


def require_control_token(request: Request, token: str | None) -> None:
    """The control API (`/_mock/`) with a token set: the token (`has_control_token`), else a
    401 in the envelope."""
    if token is None or has_control_token(request, token):
        return
    raise HttpError(
        401,
        "unauthorized",
        "The control API needs the mock's control token: "
        f"Authorization: Bearer <token> or {TOKEN_HEADER}: <token>",
        CONTROL_CHALLENGE,
    )


def wants_secrets(request: Request) -> bool:
    """Whether a control route is asked to show passwords and API keys (`?secrets=1`)."""
    return request.args.get("secrets") in {"1", "true"}


def require_secrets_token(request: Request, token: str) -> None:
    """`?secrets=1` needs a token always, also where the rest of `/_mock/` needs none: any
    local page or process could otherwise read every password (DNS rebinding, a scanner).
    Checked before the route runs, so a refused PUT changes nothing."""
    if not wants_secrets(request) or has_control_token(request, token):
        return
    raise HttpError(
        401,
        "unauthorized",
        f"secrets: ?secrets=1 needs the mock's token (Authorization: Bearer <token> or "
        f"{TOKEN_HEADER}: <token>): its --control-token, else what `campaign-mock token "
        "--port PORT` prints",
        CONTROL_CHALLENGE,
    )


def unauthorized(message: str) -> HttpError:
    return HttpError(401, "unauthorized", message, CHALLENGE)
