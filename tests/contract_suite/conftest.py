"""Fixtures for the contract suite's tests: configs and tiny servers to judge."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

try:
    import campaign_contract  # noqa: F401
except ImportError:  # the package is not installed: test the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from campaign_contract.config.model import Config, parse_config

from .apps import API_KEY, BOUNCING_DOMAIN, LIST_ID, PASSWORD, USERNAME, create_app, serve


def config_document(**overrides: object) -> dict[str, object]:
    document: dict[str, object] = {
        "auth": {"method": "basic", "username": USERNAME, "password": PASSWORD, "api_key": API_KEY},
        "domains": {"bouncing": BOUNCING_DOMAIN, "non_bouncing": 2},
        "lists": [
            {
                "id": LIST_ID,
                "contacts": [
                    {"email": "a@example.com", "telephone": "+351910000001"},
                    {"email": "b@example.com"},
                ],
                "segments": [{"id": 1, "members": ["a@example.com"]}],
            }
        ],
        "limits": {"request_timeout": 2, "rate_limit": 0, "cleanup_wait": 1},
    }
    document.update(overrides)
    return document


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return parse_config(config_document(ledger=str(tmp_path / "ledger.json")), environ={})


@pytest.fixture(scope="module")
def conforming_url() -> Iterator[str]:
    with serve(create_app()) as url:
        yield url
