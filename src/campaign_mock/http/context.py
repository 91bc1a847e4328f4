"""Where the app keeps its collaborators: `app.extensions["campaign_mock"]` (flaskr's way)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ..domain.backend import CampaignBackend
from ..domain.models import Fixtures
from .journal import RequestJournal


@dataclass(slots=True)
class MockState:
    """What one mock instance holds besides Flask itself."""

    backend: CampaignBackend
    journal: RequestJournal
    auth: bool
    initial_fixtures: Fixtures
    #: Required on every `/_mock/` route when set (auth.require_control_token).
    control_token: str | None = None


def state() -> MockState:
    found: MockState = current_app.extensions["campaign_mock"]
    return found


def backend() -> CampaignBackend:
    return state().backend
