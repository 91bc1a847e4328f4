"""A local file of the campaigns the suite created, so `clean` can find them (no list endpoint)."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    base_url: str
    id: int
    run_tag: str
    created: str


class Ledger:
    """Entries persist on every change: an interrupted run leaves them for `clean`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def entries(self, base_url: str | None = None) -> list[LedgerEntry]:
        try:
            raw = json.loads(self.path.read_text("utf-8"))
            items = [LedgerEntry(**item) for item in raw.get("campaigns", [])]
        except FileNotFoundError:
            return []
        except (ValueError, TypeError, AttributeError):
            # A damaged ledger must not stop a run; clean reports what it can.
            return []
        return [e for e in items if base_url is None or e.base_url == base_url.rstrip("/")]

    def add(self, entry: LedgerEntry) -> None:
        entries = [e for e in self.entries() if (e.base_url, e.id) != (entry.base_url, entry.id)]
        self._write([*entries, entry])

    def remove(self, base_url: str, campaign_id: int) -> None:
        key = (base_url.rstrip("/"), campaign_id)
        self._write([e for e in self.entries() if (e.base_url, e.id) != key])

    def _write(self, entries: list[LedgerEntry]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps({"campaigns": [asdict(e) for e in entries]}, indent=2)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".ledger-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body + "\n")
        os.replace(tmp, self.path)
