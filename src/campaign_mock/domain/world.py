"""`World`: exactly what the core, the dispatcher, `Worlds` and the doors call on a world."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from campaign_mock.domain.clock import Clock
from campaign_mock.domain.deliveries import Batch
from campaign_mock.domain.listening import Listener
from campaign_mock.domain.models import Campaign, Channel, Fixtures, State
from campaign_mock.domain.params import CampaignFields
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.domain.simulation import CHUNK, Simulation


@dataclass(slots=True, frozen=True)
class WorldMeta:
    """A world's state beside its campaigns, as a shared store keeps it."""

    next_id: int
    fixtures: Fixtures
    settings: SimulationSettings


@dataclass(slots=True, frozen=True)
class WorldChanges:
    """What a world changed, or what another copy of it did: campaigns (None: deleted) and,
    if they changed, the next id, fixtures and settings."""

    campaigns: dict[int, Campaign | None]
    meta: WorldMeta | None = None


class World(Protocol):
    """One world's state and its operations, each atomic.

    `CampaignBackend` (domain/backend.py) is the world in memory; a shared store wraps one
    (store/shared.py) and implements this protocol the same, so nothing above the builder
    knows where state lives. Campaigns handed out are copies.
    """

    @property
    def fixtures(self) -> Fixtures: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def simulation(self) -> Simulation:
        """The sends, the callback outbox and the delivery journal (read by the dispatcher
        and the delivery views; the outbox has its own lock)."""
        ...

    @property
    def next_id(self) -> int: ...

    # -- authentication (V-5) ------------------------------------------------------------

    def check_credentials(self, username: str, password: str) -> bool: ...

    def login(self, username: str, password: str, now: float) -> str | None: ...

    def session_user(self, token: str, now: float) -> str | None: ...

    def logout(self, token: str) -> None: ...

    # -- campaigns and the control API's view of them ---------------------------------

    def create_campaign(self, fields: CampaignFields) -> Campaign: ...

    def get_campaign(self, ident: int) -> Campaign: ...

    def update_campaign(self, ident: int, fields: CampaignFields) -> Campaign: ...

    def delete_campaign(self, ident: int) -> Campaign: ...

    def campaigns(self) -> list[Campaign]: ...

    def set_payloads(self, ident: int, payloads: tuple[Channel, ...]) -> Campaign: ...

    def force_state(self, ident: int, state: State) -> Campaign: ...

    # -- the world as a whole --------------------------------------------------------------

    def reset(self) -> None: ...

    def load_fixtures(self, fixtures: Fixtures) -> None: ...

    def configure_simulation(self, settings: SimulationSettings) -> None: ...

    # -- the sends ---------------------------------------------------------------------------

    def tick(
        self,
        horizon: float | None = None,
        budget: int = CHUNK,
        pause: Callable[[], None] | None = None,
    ) -> None: ...

    def flush_callbacks(self) -> None: ...

    def redeliver(self, batch: int) -> Batch | None: ...

    def abort_campaign(self, ident: int, reason: str) -> Campaign: ...

    def callbacks_pending(self, until: float, wait: float) -> int | None:
        """Callback attempts due at mock time `until` not yet made (due, or in flight),
        where the sends run; None while that is not known: they have not reached `until`
        yet, or (a store's instance without the sends' lease) the lease holder did not say
        within `wait` real seconds."""
        ...


class Keeper(Protocol):
    """Where the mock's state lives, beside its worlds: `GET /_mock/store`, what a clean
    stop hands over (a shared store's sends; nothing in memory), and where every instance
    sharing that state listens (no callback may go to one)."""

    def store_status(self) -> dict[str, object]: ...

    def stop(self) -> None: ...

    def listening(self, at: Listener) -> None:
        """This instance now listens `at`: the others sharing its state are told."""
        ...

    def listeners(self) -> list[Listener]:
        """Where the instances sharing this state listen (this one's included)."""
        ...


class InMemory:
    """The `Keeper` of a mock whose state lives in this process alone."""

    def store_status(self) -> dict[str, object]:
        return {"state": "memory", "shared": False, "sending": True}

    def stop(self) -> None:
        """Nothing to hand over: the state goes with the process."""

    def listening(self, at: Listener) -> None:
        """No other instance to tell: the process's own mocks are known to the policy."""

    def listeners(self) -> list[Listener]:
        return []
