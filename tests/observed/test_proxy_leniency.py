"""The proxy tells a client what its requests rely on: digit strings in JSON, which only a
lenient server reads as numbers, are a warning naming the rule; a request every server must
refuse is a violation; neither is a verdict on the server (CONTRACT.md judges servers)."""

from __future__ import annotations

import json
from pathlib import Path

import requests
from tests.contract.conftest import served

from .proxying import served_proxy

AUTH = ("demo", "demo-password")


def test_digit_strings_in_json_get_the_leniency_warning(tmp_path: Path) -> None:
    live = tmp_path / "live.json"
    with (
        served() as url,
        served_proxy("--to", url, "--listen", "127.0.0.1:0", "--json", str(live)) as proxy,
    ):
        lenient = requests.post(
            f"{proxy.url}/campaign",
            json={"name": "digits", "domain": "1", "list": "1"},
            auth=AUTH,
            timeout=10,
        )
        refused = requests.post(f"{proxy.url}/campaign", json={"domain": 1}, auth=AUTH, timeout=10)
        plain = requests.post(
            f"{proxy.url}/campaign", json={"name": "n", "domain": 1, "list": 1}, auth=AUTH
        )
        code = proxy.stop()
    assert lenient.json()["success"] is True  # the mock reads them: a lenient server
    assert refused.json()["success"] is False and plain.json()["success"] is True
    assert code == 0, proxy.stderr  # the server broke no rule
    first, second, third = proxy.stdout[:3]
    assert "-> 200" in first and " ok; client WARN Q-4: " in first
    assert "relies on a lenient server" in first and "domain: '1' is not of type 'integer'" in first
    assert " ok; client VIOLATION " in second and "no server may be sent this" in second
    assert third.endswith(" ok")
    report = json.loads(live.read_text("utf-8"))
    notes = {(n["severity"], n["rule"]): n for n in report["client"]}
    assert notes[("warning", "Q-4")]["count"] == 1
    assert any(severity == "violation" for severity, _rule in notes)
    assert all(r["status"] != "fail" for r in report["rules"])
    summary = "\n".join(proxy.stderr)
    assert "the client's requests (not the server's fault)" in summary
