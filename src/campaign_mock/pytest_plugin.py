"""The pytest plugin: a live mock per session, reset before each test that asks for it.

Loaded in every pytest run of a user (entry point `pytest11`), so it defines no autouse
fixtures and imports the mock only when a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .server import MockServer


@pytest.fixture(scope="session")
def campaign_mock_server() -> Iterator[MockServer]:
    """One live mock (built-in fixtures) on a free port for the whole session."""
    from .http import create_app
    from .server import MockServer

    server = MockServer(create_app(), port=0).start()
    yield server
    server.stop()


@pytest.fixture
def campaign_mock(campaign_mock_server: MockServer) -> MockServer:
    """The session's mock, reset to its fixtures: each test starts from a fresh server."""
    from .http.context import MockState

    held: MockState = campaign_mock_server.app.extensions["campaign_mock"]
    held.backend.reset()
    held.journal.clear()
    return campaign_mock_server
