"""The wrong password the suite makes up, unrelated to the configured secrets.

Reports redact the configured password and API key wherever they appear, even inside other
values. A wrong credential built from the real one (`password + "-not-it"`) would show as
`REDACTED-not-it`, so nobody could replay the exact request. This one is fresh per run and
never contains a configured secret, so a report shows it exactly as it was sent.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Final

from campaign_contract.engine.context import RunContext

PREFIX: Final = "cc-wrong-"
#: Fresh tokens tried before falling back to one repeated character (see `invent_wrong`).
ATTEMPTS: Final = 64


def invent_wrong(known: Iterable[str]) -> str:
    """A credential none of the `known` secrets is part of (so it equals none of them)."""
    taken = [s for s in known if s]
    for _ in range(ATTEMPTS):
        candidate = PREFIX + secrets.token_hex(8)
        if not any(s in candidate for s in taken):
            return candidate
    # A secret such as "c" is in every candidate above. A run of one character holds a
    # secret only if the secret is that character repeated: of three, one always fits two.
    char = next(c for c in "xyz" if not any(set(s) == {c} for s in taken))
    return char * 24


def wrong_password(ctx: RunContext) -> str:
    """This run's wrong password (one per run, so every check and report shows the same)."""
    auth = ctx.config.auth
    known = [s for s in (auth.password, auth.api_key) if s]
    return ctx.shared("wrong-password", lambda: invent_wrong(known))
