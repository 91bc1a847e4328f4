"""The real mock, and broken variants of it, served in-thread for the suite to judge."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from campaign_contract.config.model import Config, parse_config
from campaign_contract.config.scaffold import config_from_state, fetch_mock_state
from campaign_contract.coverage import all_clauses
from campaign_contract.engine.layers import load_layers
from campaign_contract.engine.registry import REGISTRY
from campaign_mock import create_app
from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.clock import MockClock
from campaign_mock.fixtures.document import default_fixtures
from campaign_mock.serving.server import MockServer

load_layers()

#: Mock seconds per real second: a send to the default lists ends in a few real seconds.
SPEED = 30.0
#: Small, so the whole folder runs in about two minutes on two cores.
MAX_EXAMPLES = 4
#: Kill table rows, filled in by test_variants.py and printed at the end of the run.
KILLS: list[tuple[str, str, bool, str]] = []
#: Conforming-variant rows (name, passed with zero failures, the failed parts or "", the reading
#: it takes), filled in by the conforming-variant tests and printed at the end of the run.
CONFORMING: list[tuple[str, bool, str, str]] = []


def mock_app(speed: float = SPEED, settings: dict[str, Any] | None = None) -> Flask:
    backend = CampaignBackend(default_fixtures(), MockClock(speed=speed))
    if settings:
        backend.configure_simulation(backend.simulation.settings.updated(settings))
    return create_app(backend=backend)


@contextmanager
def served(
    prepare: Callable[[Flask], None] | None = None,
    *,
    speed: float = SPEED,
    settings: dict[str, Any] | None = None,
) -> Iterator[str]:
    """A fresh mock (optionally broken by `prepare`) on a free port; its base URL."""
    app = mock_app(speed, settings)
    if prepare is not None:
        prepare(app)
    server = MockServer(app, port=0).start()
    try:
        yield server.url
    finally:
        server.stop()


def suite_config(url: str, tmp_path: Path, send_wait: float = 30) -> Config:
    """What `campaign-contract init --from-mock` writes, with limits fit for tests."""
    document: dict[str, Any] = config_from_state(fetch_mock_state(url), url)
    document["ledger"] = str(tmp_path / "ledger.json")
    document["limits"] = {
        "request_timeout": 5,
        "rate_limit": 0,
        "cleanup_wait": 30,
        "send_wait": send_wait,
        # The mock's clock runs SPEED times real time (the stateful layer reads it, M-4).
        "clock_speed": SPEED,
    }
    return parse_config(document, environ={})


def kill_selection(name: str, first_break: str, only: tuple[str, ...]) -> tuple[str, ...]:
    """What a kill test runs: the checks the clause table says judge this variant's clause.

    So a kill proves what docs/coverage.md claims (these checks can fail that clause), and runs
    in a fraction of the time of a whole rule or layer. A variant no clause names, or whose
    first broken part those checks do not judge, runs over its own `only`.
    """
    named = tuple(
        dict.fromkeys(check for c in all_clauses() if name in c.variants for check in c.checks)
    )
    chosen = [check for check in REGISTRY if check.name in named]
    judged = {rule for check in chosen for rule in check.rules}
    if not named or first_break not in judged:
        return only
    # A final check judges the run's traffic: the variant's own selection makes that traffic.
    return (*named, *only) if all(check.final for check in chosen) else named


@pytest.fixture
def mock_url() -> Iterator[str]:
    with served() as url:
        yield url


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Rows a test adds to KILLS or CONFORMING travel on its report (tests/conftest.py prints
    them), so the tables are whole when xdist runs tests in several processes."""
    kills, conforming = len(KILLS), len(CONFORMING)
    yield
    item.user_properties += [("contract.kill", list(row)) for row in KILLS[kills:]]
    item.user_properties += [("contract.conforming", list(row)) for row in CONFORMING[conforming:]]
