"""The sample client in-process (`responses`): no socket to the API, the webhook app in memory."""

from __future__ import annotations

import pytest
import requests

import campaign_mock
from campaign_mock import CallbackSink, CampaignMock

from .conftest import EVERY_EVENT, START, expected_pairs, pairs
from .newsletter.client import CampaignClient
from .newsletter.webhook import EventStore, create_webhook_app

#: A base URL with a path, as DUO's is: the mock answers below it.
API = "https://api.duo.example/api"
SHOP = "https://shop.example"


def test_C1_C2_every_event_reaches_the_webhook_app_in_memory(store: EventStore) -> None:
    apps = {SHOP: create_webhook_app(store)}
    with campaign_mock.intercept(API, fixtures=_magic(), frozen_at=START, apps=apps) as mock:
        client = CampaignClient(API, *mock.auth)
        campaign = client.create("Sale", domain=1, list_id=1,
                                 callback=f"{SHOP}/campaign-events?ref=s")  # fmt: skip
        assert client.schedule(campaign.id, mock.clock.now() + 60).state == "SCHEDULED"
        assert client.send(campaign.id, mock.clock.now() + 60).state == "READY"
        mock.clock.advance(60)
        assert client.get(campaign.id).state == "SENDING"
        mock.settle()
        assert client.get(campaign.id).state == "DONE"
    assert pairs(store, "s") == expected_pairs()
    assert [r.path for r in mock.requests][:2] == ["/campaign", "/campaign/1"]


def test_C1_callbacks_reach_an_in_memory_sink() -> None:
    sink = CallbackSink()
    with campaign_mock.intercept(API, fixtures=_magic(), frozen_at=START, sink=sink) as mock:
        client = CampaignClient(API, *mock.auth)
        campaign = client.create("Sale", domain=1, list_id=1, callback=sink.url_for("s"))
        client.send(campaign.id, mock.clock.now())
        mock.settle()
    sink.assert_events(EVERY_EVENT, campaign="s")


def test_other_hosts_pass_through(callback_sink: CallbackSink) -> None:
    with campaign_mock.intercept(API):
        answer = requests.post(callback_sink.url, data={"event": "delivered", "when": "1"})
    assert answer.status_code == 200
    assert [c.event for c in callback_sink.callbacks] == ["delivered"]


def test_callbacks_to_a_real_receiver_go_over_http(callback_sink: CallbackSink) -> None:
    with campaign_mock.intercept(API, fixtures=_magic(), frozen_at=START) as mock:
        client = CampaignClient(API, *mock.auth)
        campaign = client.create("Sale", domain=1, list_id=1, callback=callback_sink.url)
        client.send(campaign.id, mock.clock.now())
        mock.settle()
    callback_sink.assert_events(EVERY_EVENT)


intercepted = campaign_mock.intercept(API, fixtures="magic.yaml")


@intercepted
def test_decorator_gives_a_fresh_mock_each_time() -> None:
    client = CampaignClient(API, "shop", "shop-secret")
    assert client.create("Sale", domain=1, list_id=1).id == 1
    assert intercepted.mock.campaign(1)["name"] == "Sale"


@intercepted
def test_decorator_gives_a_fresh_mock_each_time_again() -> None:
    client = CampaignClient(API, "shop", "shop-secret")
    assert client.create("Sale", domain=1, list_id=1).id == 1


@pytest.mark.campaign_mock(fixtures="magic.yaml", frozen_at=START)
def test_intercept_shares_the_live_fixtures_backend(campaign_mock: CampaignMock) -> None:
    with campaign_mock.intercept(API) as mock:
        assert mock is campaign_mock
        created = CampaignClient(API, *mock.auth).create("Sale", domain=1, list_id=1)
    over_http = CampaignClient(campaign_mock.url, *campaign_mock.auth).get(created.id)
    assert over_http == created


def _magic() -> str:
    return "magic.yaml"  # beside this file, wherever pytest runs from
