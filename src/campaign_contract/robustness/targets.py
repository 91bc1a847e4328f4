"""Paths and ids the robustness checks aim at, chosen so they never touch real data."""

from __future__ import annotations

from typing import Final

from campaign_contract.engine.probe import Probe

#: Digits, so routed; so large no server holds it (and some may overflow on it).
HUGE_ID: Final = "99999999999999999999"
#: Not positive integers: V-4 makes each a routing 404, before authentication.
NOT_IDS: Final = ("abc", "-1", "0", "1.5", "0x1")
MISSING: Final = f"/campaign/{HUGE_ID}"
ONE_MIB: Final = 1024 * 1024


def require_auth(t: Probe) -> None:
    """Skip a check that needs a server asking for credentials."""
    if t.ctx.config.auth.method == "none":
        t.skip("the config sets auth.method: none (the target asks for no credentials)")


def readable_path(t: Probe) -> str:
    """The shared campaign's path when there is one, else a missing id's."""
    campaign_id = t.campaign_id()
    return f"/campaign/{campaign_id}" if campaign_id is not None else MISSING
