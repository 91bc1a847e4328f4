"""Which world a request acts on (`--isolate accounts`): the caller's, by its credentials.

An API request's world is its authenticated account's (HTTP Basic or the session cookie).
A control request (`/_mock/`) names an account the same way; `account_or_401()` refuses one
that names none, since campaign ids and batch ids mean something only within a world.
Without isolation no credentials are read here and every operation acts on the one world.
"""

from __future__ import annotations

from flask import g, request

from campaign_mock.http.auth import CHALLENGE, SESSION_COOKIE, require_user
from campaign_mock.http.context import mock
from campaign_mock.http.envelope import HttpError


def caller() -> str | None:
    """The account a request names (Basic or session cookie), None if it names none; wrong
    credentials are a 401. Always None without isolation."""
    core = mock()
    if not core.isolated:
        return None
    if "caller" not in g:
        account = g.get("account")
        if account is None:
            credentials = request.authorization
            basic = credentials is not None and credentials.type == "basic"
            cookie = "Cookie" in request.headers and bool(request.cookies.get(SESSION_COOKIE))
            account = require_user(request, core) if basic or cookie else None
        g.caller = account
    found: str | None = g.caller
    return found


def account_or_401() -> str | None:
    """The account an operation on one world acts for; isolated, a 401 when none is named."""
    account = caller()
    if account is None and mock().isolated:
        raise HttpError(
            401,
            "unauthorized",
            f"With --isolate accounts, {request.path} acts on one account's world: "
            "send that account's credentials (HTTP Basic or its session cookie)",
            CHALLENGE,
        )
    return account
