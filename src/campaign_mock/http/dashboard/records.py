"""The dashboard's fixtures and request-journal pages. Nothing here reads a password or an
API key: an account is shown by its username and how many keys it has; the journal already
holds `/login/` bodies with `password=***` (journal.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from campaign_mock.core.journal import JournalEntry
from campaign_mock.http.context import mock
from campaign_mock.http.dashboard.campaign import list_size
from campaign_mock.http.dashboard.views import moment
from campaign_mock.http.failures import failed_answers
from campaign_mock.http.world import caller

#: The most journal entries the journal page lists (the newest).
MAX_REQUESTS = 200


@dataclass(slots=True, frozen=True)
class AccountView:
    """An account without its secrets: the username and how many API keys it has."""

    username: str
    api_keys: int


@dataclass(slots=True, frozen=True)
class ListView:
    id: int
    name: str
    contacts: int
    generated: bool
    segments: list[tuple[int, str, int]]


@dataclass(slots=True)
class FixturesView:
    accounts: list[AccountView]
    domains: list[tuple[int, str, bool, bool]]
    lists: list[ListView]
    payloads: list[str]


def fixtures_view() -> FixturesView:
    fixtures = mock().fixtures
    return FixturesView(
        accounts=[AccountView(a.username, len(a.api_keys)) for a in fixtures.accounts],
        domains=[(d.id, d.name, d.is_sending, d.is_bouncing) for d in fixtures.domains],
        lists=[
            ListView(
                id=c.id,
                name=c.name,
                contacts=list_size(c),
                generated=c.generated is not None,
                segments=[(s.id, s.name, len(s.contact_ids)) for s in c.segments],
            )
            for c in fixtures.lists
        ],
        payloads=[p.value for p in fixtures.payloads],
    )


@dataclass(slots=True, frozen=True)
class RequestView:
    entry: JournalEntry
    account: str | None
    at: str
    failed: bool


def _request_view(entry: JournalEntry, account: str | None) -> RequestView:
    failed = entry.success is False or entry.status >= 400
    return RequestView(entry, account, moment(entry.at), failed)


def request_views(*, failed_only: bool = False) -> list[RequestView]:
    """The newest `MAX_REQUESTS` API requests of the worlds the caller sees, newest first."""
    views = [_request_view(e, name) for e, name in mock().requests(caller())]
    if failed_only:
        views = [v for v in views if v.failed]
    return list(reversed(views[-MAX_REQUESTS:]))


def request_detail(seq: int) -> tuple[RequestView, str | None] | None:
    """One journal entry and, if it failed, the envelope it was answered with."""
    for entry, name in mock().requests(caller()):
        if entry.seq == seq:
            return _request_view(entry, name), _pretty(failed_answers().get(seq))
    return None


def _pretty(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text
