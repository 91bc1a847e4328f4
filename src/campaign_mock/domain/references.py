"""Q-6: what a campaign refers to (domain, list, segments) must exist in the fixtures."""

from __future__ import annotations

from campaign_mock.domain.errors import UnresolvedReferenceError
from campaign_mock.domain.models import Fixtures


def check_references(
    fixtures: Fixtures, domain: int | None, list_id: int, segments: list[int]
) -> None:
    """A bouncing domain, an existing list, segments within that list; else an
    `UnresolvedReferenceError` naming every field that refers to nothing."""
    errors: dict[str, list[str]] = {}
    if domain is not None:
        found = fixtures.domain(domain)
        if found is None:
            errors["domain"] = [f"domain {domain} does not exist"]
        elif not found.is_bouncing:
            errors["domain"] = [f"domain {domain} is not enabled as a bouncing domain"]
    contact_list = fixtures.contact_list(list_id)
    if contact_list is None:
        errors["list"] = [f"contact list {list_id} does not exist"]
    else:
        own = {s.id for s in contact_list.segments}
        stray = [s for s in segments if s not in own]
        if stray:
            errors["segments"] = [f"segment {s} is not a segment of list {list_id}" for s in stray]
    if errors:
        text = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        raise UnresolvedReferenceError(f"Unresolved reference: {text}", errors)
