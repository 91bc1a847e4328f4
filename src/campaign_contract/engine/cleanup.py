"""Deleting the campaigns the suite created, waiting out those still SENDING."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from campaign_contract.engine.ledger import Ledger, LedgerEntry
from campaign_contract.transport.http import Client

POLL_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class CleanupResult:
    id: int
    outcome: str  # deleted | gone | not ours | left


def _attempt(client: Client, ledger: Ledger, entry: LedgerEntry) -> CleanupResult | None:
    """One try at one campaign; None means try again later (it is SENDING)."""
    found = client.get(f"/campaign/{entry.id}")
    if found.status == 404:
        ledger.remove(entry.base_url, entry.id)
        return CleanupResult(entry.id, "gone")
    data = found.data()
    if found.success() is True:
        if entry.run_tag not in str(data.get("name", "")):
            # IDs may be reused by a server that was reset: never delete what is not ours.
            ledger.remove(entry.base_url, entry.id)
            return CleanupResult(entry.id, "not ours")
        if data.get("state") == "SENDING":
            return None
    deleted = client.delete(f"/campaign/{entry.id}")
    if deleted.success() is True or deleted.status == 404:
        ledger.remove(entry.base_url, entry.id)
        return CleanupResult(entry.id, "deleted" if deleted.success() else "gone")
    if deleted.data().get("code") == "conflict":
        return None
    return CleanupResult(entry.id, "left")


def clean(
    client: Client,
    ledger: Ledger,
    entries: list[LedgerEntry],
    wait: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[CleanupResult]:
    """Delete each entry's campaign; those still SENDING are retried until `wait` runs out."""
    results: list[CleanupResult] = []
    pending = list(entries)
    deadline = clock() + wait
    while pending:
        retry = []
        for entry in pending:
            result = _attempt(client, ledger, entry)
            if result is None:
                retry.append(entry)
            else:
                results.append(result)
        pending = retry
        if pending and clock() + POLL_SECONDS > deadline:
            results += [CleanupResult(e.id, "left") for e in pending]
            break
        if pending:
            sleep(POLL_SECONDS)
    return results
