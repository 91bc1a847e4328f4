"""Which world a request acts on (`--isolate accounts`): the caller's, by its credentials.

An API request's world is its authenticated account's (HTTP Basic or the session cookie).
A control request (`/_mock/`) names an account the same way; `world()` refuses one that
names none, since campaign ids and batch ids mean something only within a world. Without
isolation every request acts on the mock's one backend and no credentials are read here.
"""

from __future__ import annotations

from flask import g, request

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.http.auth import CHALLENGE, SESSION_COOKIE, require_user
from campaign_mock.http.context import state, worlds
from campaign_mock.http.envelope import HttpError
from campaign_mock.http.journal import RequestJournal


def caller() -> str | None:
    """The account a control request names (Basic or session cookie), None if it names none;
    wrong credentials are a 401. Always None without isolation."""
    held = state()
    if not held.isolated:
        return None
    if "caller" not in g:
        credentials = request.authorization
        basic = credentials is not None and credentials.type == "basic"
        cookie = "Cookie" in request.headers and bool(request.cookies.get(SESSION_COOKIE))
        g.caller = require_user(request, held.backend) if basic or cookie else None
    found: str | None = g.caller
    return found


def world() -> CampaignBackend:
    """The backend this request acts on: the mock's, or (isolated) the caller's world."""
    held = state()
    if not held.isolated:
        return held.backend
    found: CampaignBackend | None = g.get("world")
    if found is None:
        account = caller()
        if account is None:
            raise HttpError(
                401,
                "unauthorized",
                f"With --isolate accounts, {request.path} acts on one account's world: "
                "send that account's credentials (HTTP Basic or its session cookie)",
                CHALLENGE,
            )
        found = g.world = worlds().of(account)
    return found


def journal_of(account: str | None) -> RequestJournal:
    """The request journal of `account`'s world; the mock's own for no account, or when
    not isolated."""
    held = state()
    if not held.isolated or account is None:
        return held.journal
    found = held.journals.get(account)
    if found is None:
        found = held.journals.setdefault(account, RequestJournal(held.journal.capacity))
    return found


def every_journal() -> list[tuple[str | None, RequestJournal]]:
    """(account, journal) of every world, the anonymous one (None) first."""
    held = state()
    return [(None, held.journal), *sorted(held.journals.items())]
