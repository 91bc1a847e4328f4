"""Which world a request acts on (`--isolate accounts`): the caller's, by its credentials.

An API request's world is its authenticated account's (HTTP Basic or the session cookie).
A control request (`/_mock/`, the dashboard) names an account the same way, and acts on that
world alone (`check_scope`): isolation is a boundary, not a convenience. Whatever spans the
worlds (a request naming no account: every world's state, journal or reset; a change of what
every world shares: the clock, the settings, the fixtures) needs the control token; with no
token set (`--control-token`) it is not done over HTTP (the Python handle does it).
`account_or_401()` refuses a request that names no account where an operation needs one,
since campaign ids and batch ids mean something only within a world. Without isolation no
credentials are read here and every operation acts on the one world.
"""

from __future__ import annotations

from flask import g, request

from campaign_mock.http.auth import CHALLENGE, SESSION_COOKIE, require_user
from campaign_mock.http.context import mock
from campaign_mock.http.envelope import HttpError
from campaign_mock.http.guard import CHANGES

#: Blueprints and endpoints whose changes reach every world (the mock's shared clock,
#: settings, faults and fixtures).
_SHARED_BLUEPRINTS = frozenset({"clock", "settings"})
_SHARED_ENDPOINTS = frozenset({"control.put_fixtures", "dashboard.do_clock"})
#: Reads that always span every world (they cannot be narrowed to the caller's).
_EVERY_WORLD_ENDPOINTS = frozenset({"metrics.metrics"})


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


def check_scope() -> None:
    """Isolated, with no control token set: a control request acts on its caller's world
    only, so it must name an account, and may not change what every world shares (401).
    With a token set, the token was required already (`require_control_token`, the
    dashboard's guard) and reaches every world."""
    core = mock()
    if not core.isolated or core.control_token is not None:
        return
    if caller() is None:
        raise HttpError(
            401,
            "unauthorized",
            f"With --isolate accounts, {request.path} acts on the caller's world: send an "
            "account's credentials (HTTP Basic or its session cookie); every world at once "
            "needs the control token (start the mock with --control-token)",
            CHALLENGE,
        )
    shared = request.blueprint in _SHARED_BLUEPRINTS or request.endpoint in _SHARED_ENDPOINTS
    if shared and request.method in CHANGES:
        raise HttpError(
            401,
            "unauthorized",
            f"With --isolate accounts, {request.method} {request.path} changes every world "
            "(the clock, settings and fixtures are the mock's): it needs the control token "
            "(start the mock with --control-token)",
            CHALLENGE,
        )
    if request.endpoint in _EVERY_WORLD_ENDPOINTS:
        raise HttpError(
            401,
            "unauthorized",
            f"With --isolate accounts, {request.path} reports every world: it needs the "
            "control token (start the mock with --control-token)",
            CHALLENGE,
        )
