"""`GET /_mock/metrics` (issue 19, item 2): Prometheus's text format, read with the official
parser; requests by URL rule and status, callback attempts by outcome, deliveries waiting and
in flight, the clock's offset; one registry per mock; guarded like every `/_mock/` route."""

from __future__ import annotations

import base64
import socket
import time

import prometheus_client
import requests
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from tests.serving import served_mock

from campaign_mock import CampaignMock, create_app

AUTH = ("demo", "demo-password")
BASIC = {"Authorization": "Basic " + base64.b64encode(b"demo:demo-password").decode()}
TOKEN = "metrics-test-token"


def samples(text: str) -> dict[str, list[Sample]]:
    """Every sample of the exposition, by sample name (`..._total` for counters)."""
    found: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def value(found: dict[str, list[Sample]], name: str, **labels: str) -> float:
    matching = [s.value for s in found.get(name, []) if s.labels == labels]
    assert len(matching) == 1, (name, labels, found.get(name))
    return matching[0]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_metrics_show_requests_by_route_and_failed_callback_attempts() -> None:
    with served_mock("--speed", "600") as url:
        hook = f"http://127.0.0.1:{closed_port()}/hook"
        made = requests.post(
            f"{url}/campaign",
            data={"name": "Scraped", "domain": 1, "list": 1, "event_callback": hook,
                  "when": "2020-01-01T00:00:00Z"},
            auth=AUTH, timeout=10,
        ).json()["data"]["id"]  # fmt: skip
        for state in ("SCHEDULED", "READY"):
            requests.put(f"{url}/campaign/{made}", data={"state": state}, auth=AUTH, timeout=10)
        assert requests.get(f"{url}/campaign/99", auth=AUTH, timeout=10).status_code == 404
        deadline = time.monotonic() + 20
        while True:
            answer = requests.get(f"{url}/_mock/metrics", timeout=10)
            found = samples(answer.text)
            failed = value(found, "campaign_mock_callback_attempts_total", outcome="error")
            if failed >= 1:
                break
            assert time.monotonic() < deadline, answer.text
            time.sleep(0.05)  # polling for the attempt the worker makes on its own
    assert answer.headers["Content-Type"] == prometheus_client.CONTENT_TYPE_LATEST
    total = "campaign_mock_requests_total"
    assert value(found, total, route="/campaign", method="POST", status="200") == 1
    rule = "/campaign/<positive_int:ident>"  # the URL rule, whatever the id
    assert value(found, total, route=rule, method="PUT", status="200") == 2
    assert value(found, total, route=rule, method="GET", status="404") == 1
    assert not [s for s in found[total] if "99" in s.labels["route"]]
    attempts = "campaign_mock_callback_attempts_total"
    assert value(found, attempts, outcome="acknowledged") == 0
    assert value(found, attempts, outcome="failed_status") == 0
    assert value(found, attempts, outcome="timeout") == 0
    # retries of the failed batches wait (the window is an hour), none is being sent
    assert value(found, "campaign_mock_callbacks_waiting") >= 1
    assert value(found, "campaign_mock_callbacks_in_flight") >= 0
    # at 600 mock seconds a second, the clock runs ahead of real time
    assert value(found, "campaign_mock_clock_offset_seconds") > 0


def test_each_mock_has_a_registry_of_its_own() -> None:
    """Several mocks in one process: each counts its own requests, none in the default
    registry."""
    first, second = create_app().test_client(), create_app().test_client()
    for _ in range(3):
        assert first.get("/campaign/1", headers=BASIC).status_code == 404
    first_found = samples(first.get("/_mock/metrics").text)
    second_found = samples(second.get("/_mock/metrics").text)
    rule = "/campaign/<positive_int:ident>"
    total = "campaign_mock_requests_total"
    assert value(first_found, total, route=rule, method="GET", status="404") == 3
    assert [s.labels["route"] for s in second_found.get(total, [])] == []
    clock = value(second_found, "campaign_mock_clock_offset_seconds")
    assert abs(clock) < 60
    default = prometheus_client.generate_latest(prometheus_client.REGISTRY).decode()
    assert "campaign_mock" not in default


def test_metrics_need_the_control_token_like_any_control_route() -> None:
    client = create_app(control_token=TOKEN).test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, BASIC):
        refused = client.get("/_mock/metrics", headers=headers)
        state = client.get("/_mock/state", headers=headers)
        assert refused.status_code == state.status_code == 401
        assert refused.json["data"]["code"] == state.json["data"]["code"] == "unauthorized"
    for headers in ({"Authorization": f"Bearer {TOKEN}"}, {"X-Mock-Token": TOKEN}):
        answer = client.get("/_mock/metrics", headers=headers)
        assert answer.status_code == 200 and b"campaign_mock_requests_total" in answer.data


def test_isolated_metrics_span_every_world_so_need_the_token() -> None:
    """`--isolate accounts` without a token: one account's credentials reach its world only,
    and the metrics count every world's requests, so they are refused (401)."""
    client = create_app(isolate="accounts").test_client()
    bare = client.get("/_mock/metrics")
    assert bare.status_code == client.get("/_mock/state").status_code == 401
    as_account = client.get("/_mock/metrics", headers=BASIC)
    assert client.get("/_mock/state", headers=BASIC).status_code == 200
    assert as_account.status_code == 401 and "control token" in as_account.json["data"]["error"]
    guarded = create_app(isolate="accounts", control_token=TOKEN).test_client()
    assert guarded.get("/_mock/metrics", headers={"X-Mock-Token": TOKEN}).status_code == 200


def test_metrics_answer_only_to_the_mock_s_host_names() -> None:
    with CampaignMock.serve() as mock:
        foreign = requests.get(
            f"{mock.url}/_mock/metrics", headers={"Host": "rebind.attacker.example"}, timeout=10
        )
        assert foreign.status_code == 421 and foreign.json()["data"]["code"] == "wrong_host"
        assert requests.get(f"{mock.url}/_mock/metrics", timeout=10).status_code == 200
