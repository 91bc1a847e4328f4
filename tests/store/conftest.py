"""The store tests' receiver; `redis_server` and `redis_url` are tests/conftest.py's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from campaign_mock.testing.sink import SinkServer


@pytest.fixture
def sink_server() -> Iterator[SinkServer]:
    with SinkServer() as server:
        yield server
