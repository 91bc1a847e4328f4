"""The sample client against the live `campaign_mock` fixture: real HTTP, the mock's clock."""

from __future__ import annotations

import pytest

from campaign_mock import CallbackSink, CampaignMock

from .conftest import EVERY_EVENT, START, expected_pairs, pairs
from .newsletter.client import CampaignApiError, CampaignClient
from .newsletter.webhook import EventStore

pytestmark = pytest.mark.campaign_mock(fixtures="magic.yaml", frozen_at=START)


def _client(mock: CampaignMock) -> CampaignClient:
    return CampaignClient(mock.url, *mock.auth)


def test_M2_create_then_schedule_then_send(campaign_mock: CampaignMock) -> None:
    client = _client(campaign_mock)
    campaign = client.create("Winter sale", domain=1, list_id=1)
    assert (campaign.id, campaign.state, campaign.when) == (1, "DRAFT", None)
    later = campaign_mock.clock.now() + 3600
    assert client.schedule(campaign.id, later).state == "SCHEDULED"
    campaign_mock.clock.advance(7200)
    assert client.get(campaign.id).state == "SCHEDULED"  # M-4: only READY sends
    assert client.send(campaign.id, campaign_mock.clock.now() + 60).state == "READY"
    campaign_mock.clock.advance(60)
    assert client.get(campaign.id).state == "SENDING"
    assert [(r.method, r.path) for r in campaign_mock.requests] == [
        ("POST", "/campaign"),
        ("PUT", "/campaign/1"),
        ("GET", "/campaign/1"),
        ("PUT", "/campaign/1"),
        ("PUT", "/campaign/1"),
        ("GET", "/campaign/1"),
    ]


def test_M5_client_reports_conflicts(campaign_mock: CampaignMock) -> None:
    client = _client(campaign_mock)
    campaign = client.create("Winter sale", domain=1, list_id=1)
    client.send(campaign.id, campaign_mock.clock.now())  # SENDING at once: `when` has come
    with pytest.raises(CampaignApiError) as raised:
        client.schedule(campaign.id, campaign_mock.clock.now() + 60)
    assert raised.value.code == "conflict"  # M-5: no PUT while SENDING


def test_E1_E2_C1_every_event_reaches_the_sink(
    campaign_mock: CampaignMock, callback_sink: CallbackSink
) -> None:
    client = _client(campaign_mock)
    campaign = client.create(
        "Winter sale", domain=1, list_id=1, callback=callback_sink.url_for("winter")
    )
    client.send(campaign.id, campaign_mock.clock.now() + 60)
    campaign_mock.settle()
    assert client.get(campaign.id).state == "DONE"
    callback_sink.assert_events(EVERY_EVENT, campaign="winter")
    assert campaign_mock.acknowledged(campaign.id, "clicked") == 1


def test_C1_C2_every_event_reaches_the_webhook_over_http(
    campaign_mock: CampaignMock, store: EventStore, webhook_url: str
) -> None:
    client = _client(campaign_mock)
    campaign = client.create("Winter sale", domain=1, list_id=1, callback=f"{webhook_url}?ref=w")
    client.send(campaign.id, campaign_mock.clock.now())
    campaign_mock.settle()
    assert pairs(store, "w") == expected_pairs()
    assert all(e.when <= campaign_mock.clock.now() for e in store.events())


def test_C4_a_failing_webhook_gets_retries(
    campaign_mock: CampaignMock, callback_sink: CallbackSink
) -> None:
    callback_sink.status = 503
    client = _client(campaign_mock)
    campaign = client.create("Sale", domain=1, list_id=1, callback=callback_sink.url)
    client.send(campaign.id, campaign_mock.clock.now())
    campaign_mock.clock.advance(120)
    callback_sink.status = 200
    campaign_mock.settle()
    assert {a.kind for a in campaign_mock.deliveries} >= {"first", "retry"}
    callback_sink.assert_events(EVERY_EVENT)
