"""M-4 on traffic: a campaign an answer shows SENDING, DONE or ERROR while its `when` is still
ahead of the server's clock started before its time, whoever else wrote meanwhile. Judged
only when the config says the server's clock runs at real time (`limits.clock_speed` 1)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from tests.contract.catalogue import load
from tests.contract.conftest import served
from tests.contract.variants import VARIANTS

from campaign_contract.config.scaffold import config_from_state, fetch_mock_state

from .proxying import served_proxy

AUTH = ("demo", "demo-password")

load()


def _config(url: str, tmp_path: Path, speed: float) -> Path:
    document: dict[str, Any] = config_from_state(fetch_mock_state(url), url)
    document["limits"] = {"clock_speed": speed, "clock_skew": 5, "request_timeout": 5}
    path = tmp_path / "contract.yaml"
    path.write_text(yaml.safe_dump(document), "utf-8")
    return path


def _session(url: str) -> None:
    """One campaign due now, read until it started; one due in an hour, read twice."""
    with requests.Session() as http:
        http.auth = AUTH
        fields = {"name": "n", "domain": "1", "list": "2", "state": "READY"}
        now = http.post(f"{url}/campaign", data={**fields, "when": str(int(time.time()) - 5)})
        later = http.post(f"{url}/campaign", data={**fields, "when": str(int(time.time()) + 3600)})
        deadline = time.monotonic() + 30
        ident = now.json()["data"]["id"]
        while http.get(f"{url}/campaign/{ident}").json()["data"]["state"] == "READY":
            assert time.monotonic() < deadline, "the campaign due now never started"
            time.sleep(0.1)
        for _ in range(2):
            http.get(f"{url}/campaign/{later.json()['data']['id']}")


def _proxied(variant: str, tmp_path: Path, speed: float = 1.0) -> dict[str, str]:
    apply = next((v.apply for v in VARIANTS if v.name == variant), None)
    live = tmp_path / "live.json"
    with served(apply, speed=1.0) as server:
        config = _config(server, tmp_path, speed)
        options = ("--listen", "127.0.0.1:0", "--config", str(config), "--json", str(live))
        with served_proxy("--to", server, *options) as proxy:
            _session(proxy.url)
            proxy.stop()
    return {r["id"]: r["status"] for r in json.loads(live.read_text("utf-8"))["rules"]}


@pytest.mark.parametrize(("variant", "m4"), [("", "pass"), ("m4_ready_sends_early", "fail")])
def test_a_start_before_its_when_fails_m4(variant: str, m4: str, tmp_path: Path) -> None:
    assert _proxied(variant, tmp_path)["M-4"] == m4


def test_a_server_whose_clock_is_not_real_time_is_not_judged_by_it(tmp_path: Path) -> None:
    assert _proxied("m4_ready_sends_early", tmp_path, speed=60.0)["M-4"] == "not_exercised"


def test_a_send_seen_sending_past_send_wait_is_told_not_failed(tmp_path: Path) -> None:
    """A frozen clock holds a send in SENDING: the report says so (M-4.sending-ends: how long
    a send takes is the server's to choose), and M-4 does not fail."""
    live = tmp_path / "live.json"
    with served(None, speed=1.0) as server:
        document: dict[str, Any] = config_from_state(fetch_mock_state(server), server)
        document["limits"] = {"clock_speed": 1, "clock_skew": 5, "send_wait": 1}
        config = tmp_path / "contract.yaml"
        config.write_text(yaml.safe_dump(document), "utf-8")
        requests.post(f"{server}/_mock/clock/freeze", json={}, timeout=10).raise_for_status()
        options = ("--listen", "127.0.0.1:0", "--config", str(config), "--json", str(live))
        with served_proxy("--to", server, *options) as proxy, requests.Session() as http:
            http.auth = AUTH
            fields = {"name": "n", "domain": "1", "list": "2", "state": "READY"}
            made = http.post(f"{proxy.url}/campaign", data={**fields, "when": "1000000000"})
            ident = made.json()["data"]["id"]
            started = time.monotonic()
            states = set()
            while time.monotonic() - started < 2.5:
                states.add(http.get(f"{proxy.url}/campaign/{ident}").json()["data"]["state"])
                time.sleep(0.2)
            code = proxy.stop()
    report = json.loads(live.read_text("utf-8"))
    assert states == {"SENDING"}, states
    told = [w for w in report["warnings"] if f"campaign {ident} was still SENDING" in w]
    assert told and "told, not failed" in told[0], report["warnings"]
    assert code == 0 and {r["id"]: r["status"] for r in report["rules"]}["M-4"] == "pass"
