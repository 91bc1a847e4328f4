"""The handle an active check works through: the `Verdicts` a judge records, plus the run's
client, so the check sends requests and its findings carry the sequence that led to them."""

from __future__ import annotations

import random
from typing import Any

from campaign_contract.engine.context import RunContext
from campaign_contract.engine.registry import Check
from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import Client


class Probe(Verdicts):
    """Per-check view of the run. Findings are soft: a check goes on after one."""

    def __init__(self, ctx: RunContext, check: Check) -> None:
        super().__init__(check.name, check.rules, ctx.selected)
        self.ctx = ctx
        self.check = check
        self._prelude: list[Exchange] = []
        self._rng: random.Random | None = None
        self._first = len(ctx.client.history)
        self._scenario = self._first

    @property
    def client(self) -> Client:
        return self.ctx.client

    @property
    def rng(self) -> random.Random:
        """A generator seeded by the run's seed and this check's name alone."""
        if self._rng is None:
            self._rng = random.Random(f"{self.ctx.seed}:{self.check.name}")
        return self._rng

    def campaign_id(self) -> int | None:
        """The id of the run's shared DRAFT campaign (created once), or None if none could be."""
        exchange = self.ctx.shared_campaign()
        self.use(exchange)
        value = exchange.data().get("id") if exchange.success() else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def exchanges(self) -> list[Exchange]:
        """Every exchange this check has made so far."""
        return self.client.history[self._first :]

    def request(self, method: str, path: str, **kwargs: Any) -> Exchange:
        return self.client.request(method, path, **kwargs)

    def use(self, exchange: Exchange) -> None:
        """Count an exchange made before this check (a shared setup) into its evidence."""
        if all(e is not exchange for e in self._prelude):
            self._prelude.append(exchange)

    def get(self, path: str, **kwargs: Any) -> Exchange:
        return self.client.get(path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Exchange:
        return self.client.post(path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Exchange:
        return self.client.put(path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Exchange:
        return self.client.delete(path, **kwargs)

    def begin(self) -> None:
        """Start a new request sequence: later evidence leaves out earlier exchanges."""
        self._scenario = len(self.client.history)

    def evidence_for(self, exchange: Exchange | None) -> tuple[Exchange, ...]:
        """This check's request sequence up to `exchange` (None: the sequence so far), after
        the shared setup it used; an exchange made before the check stands alone."""
        history = self.client.history
        position = None
        if exchange is not None:
            position = next(
                (i for i in range(len(history) - 1, self._first - 1, -1) if history[i] is exchange),
                None,
            )
        if exchange is None:
            steps = history[self._scenario :]
        elif position is None:
            # Made before this check (a final check judging the whole run): it stands alone.
            steps = [exchange]
        else:
            steps = history[min(max(self._scenario, self._first), position) : position + 1]
        fresh = [e for e in steps if all(e is not p for p in self._prelude)]
        return (*self._prelude, *fresh)

    def judged_an_answer(self) -> bool:
        """Whether any answer this check saw was the API's envelope.

        A check that got only transport errors, endless bodies or non-JSON has nothing its
        silence could vouch for: its parts are not exercised, never passed. A final check, or
        one that sent nothing itself (it judges what a shared step saw, e.g. the callbacks),
        is held to the run's answers so far.
        """
        own = [*self._prelude, *self.exchanges]
        pool = self.client.history if self.check.final or not own else own
        return any(e.answered and not e.truncated and e.success() is not None for e in pool)

    def exchange_count(self) -> int:
        return len(self.exchanges)
