"""Where the app keeps its collaborators: `app.extensions["campaign_mock"]` (flaskr's way)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.models import Fixtures
from campaign_mock.domain.worlds import Worlds
from campaign_mock.http.journal import RequestJournal


@dataclass(slots=True)
class MockState:
    """What one mock instance holds besides Flask itself."""

    backend: CampaignBackend
    journal: RequestJournal
    auth: bool
    initial_fixtures: Fixtures
    #: Required on every `/_mock/` route when set (auth.require_control_token).
    control_token: str | None = None
    #: The worlds requests act on (`--isolate accounts`; http/world.py); None: `backend` alone.
    worlds: Worlds | None = None
    #: With isolation, each account's request journal; `journal` keeps the anonymous ones.
    journals: dict[str, RequestJournal] = field(default_factory=dict)
    #: `worlds.isolated`, read on every request: a plain attribute, so the default costs nothing.
    isolated: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        if self.worlds is None:
            self.worlds = Worlds(self.backend)
        self.isolated = self.worlds.isolated


def state() -> MockState:
    found: MockState = current_app.extensions["campaign_mock"]
    return found


def backend() -> CampaignBackend:
    """The mock's own backend: fixtures, sessions, clock, settings (and, not isolated, all)."""
    return state().backend


def worlds() -> Worlds:
    found = state().worlds
    assert found is not None  # set in __post_init__
    return found
