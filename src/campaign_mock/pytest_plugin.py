"""The pytest plugin: `campaign_mock` (a live mock, reset per test) and `callback_sink`.

Loaded in every pytest run of a user (entry point `pytest11`): it defines no autouse fixture
and imports nothing of the mock until a test asks for a fixture, so a run that does not use
it pays for one module of plain Python (tests/plugin/test_cost.py pins this).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from campaign_mock.testing.mock_handle import CampaignMock
    from campaign_mock.testing.sink import CallbackSink, SinkServer

MARKER = "campaign_mock"
#: The loggers of the mock's log (http/logged.py, delivery/dispatcher.py).
LOGGER = "campaign_mock"
#: What the marker and an indirect parameter may set, as `CampaignMock.prepare` takes them.
OPTIONS = ("fixtures", "seed", "rates", "settings", "frozen_at", "auth")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(fixtures=None, seed=None, rates=None, settings=None, frozen_at=None, "
        "auth=None): how the `campaign_mock` fixture starts this test (fixtures: a file "
        "relative to the test module, or a dict)",
    )


@pytest.fixture(scope="session")
def campaign_mock_session() -> Iterator[CampaignMock]:
    """One live mock on a free port for the whole session; `campaign_mock` resets it."""
    from campaign_mock.testing.mock_handle import CampaignMock

    with CampaignMock.serve() as mock:
        yield mock


@pytest.fixture
def campaign_mock(
    campaign_mock_session: CampaignMock, request: pytest.FixtureRequest
) -> Iterator[CampaignMock]:
    """The session's mock, reset (milliseconds, no restart) and set up by the test's
    `@pytest.mark.campaign_mock(...)` and by `indirect=True` parameters (a dict).

    While the test runs, the mock's log (a line per request and callback attempt, the
    `campaign_mock.*` loggers) goes to pytest's log capture: a failing test's report shows
    what the mock did under "Captured log call", and `caplog` sees it."""
    logger = logging.getLogger(LOGGER)
    unset = logger.level == logging.NOTSET  # a level the user set stays theirs
    if unset:
        logger.setLevel(logging.INFO)
    try:
        yield campaign_mock_session.prepare(**_options(request))
    finally:
        if unset:
            logger.setLevel(logging.NOTSET)


@pytest.fixture(scope="session")
def callback_sink_server() -> Iterator[SinkServer]:
    """The local HTTP receiver behind every `callback_sink`."""
    from campaign_mock.testing.sink import SinkServer

    with SinkServer() as server:
        yield server


@pytest.fixture
def callback_sink(callback_sink_server: SinkServer) -> Iterator[CallbackSink]:
    """A receiver URL of this test's own (`.url`, `.url_for(key)`), with waits and asserts."""
    sink = callback_sink_server.open()
    yield sink
    callback_sink_server.close(sink)


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The closest marker wins key by key; an indirect parameter wins over markers."""
    found: dict[str, Any] = {}
    layers: list[Mapping[str, Any]] = [m.kwargs for m in request.node.iter_markers(MARKER)]
    for marker in request.node.iter_markers(MARKER):
        if marker.args:
            raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keywords only: {OPTIONS}")
    param = getattr(request, "param", None)
    if param is not None:
        if not isinstance(param, Mapping):
            raise pytest.UsageError(f"an indirect {MARKER} parameter must be a dict of {OPTIONS}")
        layers.insert(0, param)
    for layer in layers:
        for key, value in layer.items():
            if key not in OPTIONS:
                raise pytest.UsageError(f"{MARKER}: unknown option {key!r}; use {OPTIONS}")
            found.setdefault(key, value)
    fixtures = found.get("fixtures")
    if isinstance(fixtures, str | Path) and not Path(fixtures).is_absolute():
        found["fixtures"] = request.path.parent / fixtures
    return found
