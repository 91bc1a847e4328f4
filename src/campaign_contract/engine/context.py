"""What checks share during one run: the client, config, seed, run tag and created campaigns."""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from campaign_contract.config.model import Config
from campaign_contract.engine.cleanup import CleanupResult, clean
from campaign_contract.engine.ledger import Ledger, LedgerEntry
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import Client

T = TypeVar("T")


class _Made:
    """A shared resource being made, or made (`done`): its value, or what making it raised."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


def new_run_tag() -> str:
    return f"[cc-{secrets.token_hex(4)}]"


@dataclass
class RunContext:
    """One per run. Layers keep run-wide resources (a receiver, a created campaign) here."""

    config: Config
    client: Client
    seed: int
    max_examples: int
    selected: frozenset[str]
    ledger: Ledger
    run_tag: str = field(default_factory=new_run_tag)
    created: list[int] = field(default_factory=list)
    _shared: dict[str, Any] = field(default_factory=dict)
    _closers: list[Callable[[], None]] = field(default_factory=list)
    #: Notes for the report that are no verdict (e.g. noise the callback receiver got).
    warnings: list[str] = field(default_factory=list)
    #: How precisely (± server seconds) a check read the server's clock, and from what; None
    #: when no check needed it. The report says so, since timing verdicts lean on it.
    server_clock_precision: float | None = None
    server_clock_source: str = ""
    #: Set when the run ends or is interrupted: work begun in the background stops at it.
    stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _background: list[threading.Thread] = field(default_factory=list)

    def campaign_name(self, label: str) -> str:
        """A campaign name carrying this run's tag, so `clean` can recognise it."""
        return f"cc {label} {self.run_tag}"

    def campaign_form(self, label: str) -> list[tuple[str, str]]:
        """The form of a DRAFT campaign on the first test list and the bouncing domain."""
        return [
            ("name", self.campaign_name(label)),
            ("domain", str(self.config.domains.bouncing)),
            ("list", str(self.config.lists[0].id)),
            ("state", "DRAFT"),
        ]

    def create_campaign(
        self,
        label: str,
        fields: Sequence[tuple[str, str]] | None = None,
        path: str = "/campaign",
    ) -> Exchange:
        """POST /campaign (form) to a configured test list; any created id goes to the ledger."""
        base = self.campaign_form(label)
        exchange = self.client.post(path, form=list(fields) if fields is not None else base)
        self.note_created(exchange)
        return exchange

    def shared_campaign(self) -> Exchange:
        """The creation of one DRAFT campaign that checks may read but must not change."""
        return self.shared("campaign", lambda: self.create_campaign("shared"))

    def adopt(self, exchanges: Sequence[Exchange]) -> None:
        """Keep the ledger true to what checks did: campaigns created (asked or not), deleted."""
        for exchange in exchanges:
            path = urlsplit(exchange.url).path.rstrip("/")
            if exchange.method == "POST" and path.endswith("/campaign"):
                self.note_created(exchange)
            elif exchange.method == "DELETE" and exchange.success() is True:
                campaign_id = exchange.data().get("id")
                with self._lock:
                    if campaign_id in self.created:
                        self.created.remove(campaign_id)
                        self.ledger.remove(self.client.base_url, campaign_id)

    def note_created(self, exchange: Exchange) -> int | None:
        """Record the id of a campaign this response created (even by mistake)."""
        campaign_id = exchange.data().get("id") if exchange.success() else None
        if not isinstance(campaign_id, int) or isinstance(campaign_id, bool):
            return None
        with self._lock:  # a check and work begun in the background may both create
            if campaign_id in self.created:
                return campaign_id
            self.created.append(campaign_id)
            self.ledger.add(
                LedgerEntry(
                    base_url=self.client.base_url,
                    id=campaign_id,
                    run_tag=self.run_tag,
                    created=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )
        return campaign_id

    def shared(self, key: str, factory: Callable[[], T]) -> T:
        """A run-wide resource made once, by the first to ask for it (a check, or work begun
        in the background: then the others wait for it, and see what it raised)."""
        with self._lock:
            made = self._shared.get(key)
            mine = made is None
            if made is None:
                made = self._shared[key] = _Made()
        if mine:
            try:
                made.value = factory()
            except BaseException as error:
                made.error = error
                raise
            finally:
                made.done.set()
        made.done.wait()
        if made.error is not None:
            raise made.error
        value: T = made.value
        return value

    def begin(self, key: str, factory: Callable[[], object]) -> None:
        """Start making `shared(key, ...)` on a thread of its own, so its waiting overlaps
        the checks that run meanwhile (the callbacks layer's sends)."""

        def make() -> None:
            with contextlib.suppress(BaseException):  # kept for the checks that ask
                self.shared(key, factory)

        thread = threading.Thread(target=make, name=f"campaign-contract {key}", daemon=True)
        self._background.append(thread)
        thread.start()

    def on_close(self, closer: Callable[[], None]) -> None:
        self._closers.append(closer)

    def close(self) -> list[CleanupResult]:
        """Stop what runs in the background, release resources, then delete every campaign
        this run created."""
        self.stopping.set()
        for thread in self._background:  # it stops at its next look (a request at most)
            thread.join(2 * self.client.timeout + 5)
        for closer in reversed(self._closers):
            # One resource failing to close must not keep the others (or cleanup) from it.
            with contextlib.suppress(Exception):
                closer()
        self._closers.clear()
        mine = [e for e in self.ledger.entries(self.client.base_url) if e.run_tag == self.run_tag]
        return clean(self.client, self.ledger, mine, wait=self.config.limits.cleanup_wait)
