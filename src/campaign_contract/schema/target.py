"""Fields and campaigns the schema layer's requests aim at: the config's lists, domain and tag."""

from __future__ import annotations

import time
from typing import Any, Final

from campaign_contract.engine.probe import Probe
from campaign_contract.transport.exchange import Exchange

#: 2100-01-01T00:00:00Z: a send time no test run reaches, so nothing sends by accident.
FUTURE: Final = 4_102_444_800
#: Well-formed ids that no test server holds (Q-6: a `reference`, not `invalid`).
UNKNOWN_ID: Final = 999_999_999


def past() -> int:
    """A send time an hour ago, by this machine's clock."""
    return int(time.time()) - 3600


def tagged(t: Probe, name: str) -> str:
    """`name` with the run tag, cut so the whole stays within Q-4's 255 characters."""
    tag = t.ctx.run_tag
    return f"{name[: 254 - len(tag)]} {tag}"


def base_form(t: Probe, label: str, **extra: str) -> list[tuple[str, str]]:
    """POST fields of a DRAFT campaign on the first test list, plus `extra`."""
    config = t.ctx.config
    fields = {
        "name": t.ctx.campaign_name(label),
        "domain": str(config.domains.bouncing),
        "list": str(config.lists[0].id),
        "state": "DRAFT",
        **extra,
    }
    return list(fields.items())


def base_json(t: Probe, label: str, **extra: Any) -> dict[str, Any]:
    config = t.ctx.config
    return {
        "name": t.ctx.campaign_name(label),
        "domain": config.domains.bouncing,
        "list": config.lists[0].id,
        "state": "DRAFT",
        **extra,
    }


def segment_ids(t: Probe) -> list[int]:
    return [s.id for s in t.ctx.config.lists[0].segments]


def create(t: Probe, label: str, **extra: str) -> tuple[Exchange, int | None]:
    """Create a campaign (recorded in the ledger); its id, or None when it failed."""
    answer = t.ctx.create_campaign(label, base_form(t, label, **extra))
    value = answer.data().get("id") if answer.success() is True else None
    ident = value if isinstance(value, int) and not isinstance(value, bool) else None
    return answer, ident


def foreign_segment(t: Probe) -> int:
    """A segment id outside the first test list: another list's, else one nobody holds."""
    own = set(segment_ids(t))
    for other in t.ctx.config.lists[1:]:
        for segment in other.segments:
            if segment.id not in own:
                return segment.id
    return UNKNOWN_ID
