"""The sample integrator's fixtures: their webhook app, in memory and served over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from werkzeug.serving import make_server

from .newsletter.webhook import EventStore, create_webhook_app

#: 2030-01-01T09:00:00Z
START = datetime(2030, 1, 1, 9, tzinfo=UTC)
SIM = "simulator.campaign-mock.dev"
#: What the magic addresses of magic.yaml produce: every event type, both channels (E-1, E-2).
EVERY_EVENT = {
    "submitted": [f"clicked@{SIM}", f"opened@{SIM}", f"delivered@{SIM}", f"bounce@{SIM}"],
    "delivered": [f"clicked@{SIM}", f"opened@{SIM}", f"delivered@{SIM}", "+15005550000"],
    "bounced": [f"bounce@{SIM}", "+15005550001"],
    "opened": [f"clicked@{SIM}", f"opened@{SIM}"],
    "clicked": [f"clicked@{SIM}"],
}


def pairs(store: EventStore, ref: str) -> list[tuple[str, str]]:
    return sorted((e.event, e.address) for e in store.events(ref))


def expected_pairs() -> list[tuple[str, str]]:
    return sorted((event, a) for event, addresses in EVERY_EVENT.items() for a in addresses)


@pytest.fixture
def store() -> EventStore:
    return EventStore()


@pytest.fixture
def webhook_url(store: EventStore) -> Iterator[str]:
    """The webhook app served on a free port, as in the integrator's staging."""
    server = make_server("127.0.0.1", 0, create_webhook_app(store), threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}/campaign-events"
    server.shutdown()
    server.server_close()
