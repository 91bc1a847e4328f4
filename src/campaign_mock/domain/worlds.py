"""Worlds: the mock's one shared state, or (`--isolate accounts`) one world per account.

A world (`world.World`) is a `CampaignBackend` of its own: campaigns, the next id, the sends
and the callback outbox of its campaigns. The mock's root backend keeps what every world shares:
fixtures, sessions, the clock and the simulation settings. Without isolation the root is
the only world, so the mock behaves and costs exactly as it did before worlds existed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.models import Fixtures
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.domain.simulation import CHUNK
from campaign_mock.domain.world import World

#: The one value `--isolate` takes today.
ACCOUNTS = "accounts"


class Worlds:
    """The backends requests act on, chosen by the authenticated account."""

    def __init__(self, root: World, *, isolated: bool = False) -> None:
        self.root = root
        self.isolated = isolated
        self._worlds: dict[str, World] = {}
        self._lock = threading.Lock()

    def of(self, account: str) -> World:
        """The world of `account` (made on first use); the root when not isolated."""
        if not self.isolated:
            return self.root
        found = self._worlds.get(account)
        if found is not None:
            return found
        with self._lock:
            found = self._worlds.get(account)
            if found is None:
                found = self._worlds[account] = self._new_world()
            return found

    def backends(self) -> tuple[World, ...]:
        """Every world to tick and deliver for: the root alone when not isolated."""
        if not self.isolated:
            return (self.root,)
        return tuple(self._worlds.values())

    def named(self) -> list[tuple[str, World]]:
        """(account, world) of every world made so far, by account."""
        return sorted(self._worlds.items()) if self.isolated else []

    def reset(self, account: str | None = None) -> None:
        """One account's world afresh (ids from 1), or the whole mock as it started: sessions
        gone, and every world (each is made again on its account's next request)."""
        if account is not None:
            self.of(account).reset()
            return
        with self._lock:
            self.root.reset()
            for world in self._worlds.values():
                world.reset()  # what a request or worker still holds of it is emptied too
            self._worlds.clear()

    def load_fixtures(self, fixtures: Fixtures) -> None:
        """New fixtures for the mock and every world (each reset); a gone account's world goes."""
        with self._lock:
            self.root.load_fixtures(fixtures)
            known = {a.username for a in fixtures.accounts}
            for account in [a for a in self._worlds if a not in known]:
                self._worlds[account].reset()
                del self._worlds[account]
            for world in self._worlds.values():
                world.load_fixtures(fixtures)

    def configure(self, settings: SimulationSettings) -> None:
        """The simulation settings are the mock's: every world takes them."""
        with self._lock:
            self.root.configure_simulation(settings)
            for world in self._worlds.values():
                world.configure_simulation(settings)

    def tick(
        self,
        horizon: float | None = None,
        budget: int = CHUNK,
        pause: Callable[[], None] | None = None,
    ) -> None:
        """Brings every world to the clock's time (`World.tick`)."""
        for world in self.backends():
            world.tick(horizon, budget, pause)

    def next_due(self) -> float | None:
        """When the earliest callback of any world falls due."""
        times = [w.simulation.outbox.next_due() for w in self.backends()]
        return min((t for t in times if t is not None), default=None)

    def _new_world(self) -> CampaignBackend:
        root = self.root
        world = CampaignBackend(root.fixtures, root.clock, root.simulation.settings)
        # One condition for every outbox: a delivery worker waiting on it wakes for any world.
        world.simulation.outbox.lock = root.simulation.outbox.lock
        return world
