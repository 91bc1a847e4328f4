"""The dashboard's last guard: no page it serves holds an account's password or API key.

The pages never read a secret (accounts are shown by username), but they show what clients
sent: a campaign's name, a request's query or body. A client that put its password there
would see it again, so every page is scrubbed of each fixture secret (as sent, HTML-escaped
and form-encoded) before it leaves. Secrets shorter than `MIN_LENGTH` are left alone: they
would match ordinary words (and are no secret worth the name).
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote, quote_plus

from campaign_mock.domain.models import Fixtures
from campaign_mock.http.redaction import REDACTED

MIN_LENGTH = 8


def spellings(fixtures: Fixtures) -> list[str]:
    """Every way a secret of `fixtures` may be written in a page, longest first."""
    found: set[str] = set()
    for account in fixtures.accounts:
        for secret in (account.password, *account.api_keys):
            if len(secret) >= MIN_LENGTH:
                found |= {secret, escape(secret), quote_plus(secret), quote(secret, safe="")}
    return sorted(found, key=len, reverse=True)


def scrub(text: str, fixtures: Fixtures) -> str:
    for secret in spellings(fixtures):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text
