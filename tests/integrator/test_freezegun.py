"""The sample client under freezegun: the client's `time.time()` and the mock's clock agree."""

from __future__ import annotations

import time

from freezegun import freeze_time

import campaign_mock

from .conftest import START, expected_pairs, pairs
from .newsletter.client import CampaignClient
from .newsletter.webhook import EventStore, create_webhook_app

API = "https://api.duo.example"
SHOP = "https://shop.example"


def test_M4_freezegun_tick_drives_the_send(store: EventStore) -> None:
    apps = {SHOP: create_webhook_app(store)}
    with (
        freeze_time(START) as frozen,
        campaign_mock.intercept(API, fixtures="magic.yaml", apps=apps) as mock,
    ):
        client = CampaignClient(API, *mock.auth)
        campaign = client.create("Sale", domain=1, list_id=1,
                                 callback=f"{SHOP}/campaign-events?ref=f")  # fmt: skip
        client.send(campaign.id, time.time() + 600)  # in ten minutes, by the frozen clock
        frozen.tick(599)
        assert client.get(campaign.id).state == "READY"
        frozen.tick(1)
        assert client.get(campaign.id).state == "SENDING"
        for _ in range(6 * 60):  # six hours in minutes; each API call delivers what is due
            frozen.tick(60)
            client.get(campaign.id)
        assert client.get(campaign.id).state == "DONE"
    assert pairs(store, "f") == expected_pairs()
    assert all(START.timestamp() + 600 <= e.when for e in store.events())


def test_M4_mock_advance_moves_freezegun_too(store: EventStore) -> None:
    apps = {SHOP: create_webhook_app(store)}
    with (
        freeze_time(START),
        campaign_mock.intercept(API, fixtures="magic.yaml", apps=apps) as mock,
    ):
        client = CampaignClient(API, *mock.auth)
        campaign = client.create("Sale", domain=1, list_id=1,
                                 callback=f"{SHOP}/campaign-events?ref=f")  # fmt: skip
        client.send(campaign.id)  # now, by time.time(): frozen
        mock.clock.advance(3600)
        assert time.time() == START.timestamp() + 3600 == mock.clock.now()
        mock.settle()
        assert time.time() == mock.clock.now()
    assert pairs(store, "f") == expected_pairs()
