"""`campaign-contract judge FILE`: a client's session recorded by the proxy in front of the
mock is judged with no failure; the same session in front of a broken variant fails the
variant's rule; a file that is no traffic is one line and exit 2."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from tests.contract.catalogue import load
from tests.contract.conftest import served
from tests.contract.variants import VARIANTS

from .proxying import THIS_PYTHON, served_proxy

AUTH = ("demo", "demo-password")

load()
#: Variants whose fault the client's session shows on one exchange, by the rule it breaks.
SHOWN_BY_THE_SESSION = {
    "v_broken_json_500": "V-4",
    "v_invalid_is_400": "V-3",
    "v_bare_404": "V-2",
    "r_delete_204": "R-3",
    "r_post_201": "R-3p",
    "q_name_optional": "Q-4",
}


def _client_session(url: str) -> None:
    """What an integrator's client might do: create, read, change, make mistakes, delete."""
    with requests.Session() as http:
        http.auth = AUTH
        made = http.post(f"{url}/campaign", data={"name": "spring", "domain": "1", "list": "1"})
        ident = made.json()["data"]["id"]
        http.get(f"{url}/campaign/{ident}")
        http.put(f"{url}/campaign/{ident}", data={"name": "spring sale"})
        http.put(f"{url}/campaign/{ident}", json={"segments": [], "when": None})
        http.post(f"{url}/campaign", data={"domain": "1", "list": "1"})  # no name: invalid
        http.post(
            f"{url}/campaign", data=b'{"name": ', headers={"Content-Type": "application/json"}
        )
        http.get(f"{url}/campaign/999999")
        http.get(f"{url}/nowhere")
        http.get(f"{url}/campaign/{ident}", auth=None)  # no credentials
        http.delete(f"{url}/campaign/{ident}")


def _recorded(server: str, record: Path, tmp_path: Path) -> tuple[int, dict[str, Any]]:
    """The session through the proxy (judging live, recording): its exit and JSON report."""
    live = tmp_path / "live.json"
    options = ("--listen", "127.0.0.1:0", "--record", str(record), "--json", str(live))
    with served_proxy("--to", server, *options) as proxy:
        _client_session(proxy.url)
        code = proxy.stop()
    return code, json.loads(live.read_text("utf-8"))


def _verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in report["rules"]}


def _judge(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*THIS_PYTHON, "judge", *args], capture_output=True, text=True, timeout=120
    )


def _report(record: Path, tmp_path: Path, *options: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "report.json"
    done = _judge(str(record), "--json", str(out), *options)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(out.read_text("utf-8"))


def test_a_session_with_the_mock_is_judged_without_failure(tmp_path: Path) -> None:
    record = tmp_path / "session.jsonl"
    config = tmp_path / "contract.yaml"
    with served() as url:
        live_code, live = _recorded(url, record, tmp_path)
        init = [*THIS_PYTHON, "init", "--from-mock", url, "-o", str(config)]
        subprocess.run(init, check=True, capture_output=True, timeout=60)
    code, report = _report(record, tmp_path, "--config", str(config))
    assert live_code == 0 and "fail" not in _verdicts(live).values(), live["warnings"]
    assert live["meta"]["mode"] == "proxy"
    rules = {r["id"]: r for r in report["rules"]}
    failed = {r: rules[r]["reason"] for r in rules if rules[r]["status"] == "fail"}
    assert code == 0 and not failed, failed
    assert (report["meta"]["mode"], report["meta"]["source"]) == ("judge", str(record))
    judged = {r for r in rules if rules[r]["status"] == "pass"}
    assert {"V-2", "V-3", "V-4", "V-5", "R-2", "R-3", "R-3p", "Q-1", "Q-1p", "Q-5p"} <= judged
    assert rules["M-4"]["status"] == "not_exercised"  # traffic cannot show it: never failed
    html = tmp_path / "report.html"
    assert _judge(str(record), "--html", str(html)).returncode == 0
    assert "observed" in html.read_text("utf-8") and "demo-password" not in record.read_text()


@pytest.mark.parametrize("name", sorted(SHOWN_BY_THE_SESSION))
def test_the_same_session_with_a_broken_variant_fails_its_rule(name: str, tmp_path: Path) -> None:
    variant = next(v for v in VARIANTS if v.name == name)
    record = tmp_path / "session.jsonl"
    with served(variant.apply) as url:
        live_code, live = _recorded(url, record, tmp_path)
    code, report = _report(record, tmp_path)
    failed = {r["id"] for r in report["rules"] if r["status"] == "fail"}
    assert code == 1 and SHOWN_BY_THE_SESSION[name] in failed, failed
    # The proxy judged the same exchanges live: the same verdicts, rule for rule.
    assert live_code == 1 and _verdicts(live) == _verdicts(report)


def test_a_file_that_is_no_traffic_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for text, said in (
        ("not json at all", "not JSON"),
        ('{"log": {"version": "1.2"}}', 'has no "entries"'),
    ):
        path = tmp_path / "bad.har"
        path.write_text(text, "utf-8")
        done = _judge(str(path))
        assert done.returncode == 2, done
        assert done.stderr.count("\n") == 1 and said in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    missing = _judge(str(tmp_path / "absent.jsonl"))
    assert missing.returncode == 2 and "absent.jsonl" in missing.stderr


def _send_then_change(url: str) -> None:
    """A campaign made READY for now, read until DONE, then changed (refused by M-5)."""
    with requests.Session() as http:
        http.auth = AUTH
        form = {"name": "now", "domain": "1", "list": "1", "state": "READY"}
        made = http.post(f"{url}/campaign", data={**form, "when": str(int(time.time()))})
        ident = made.json()["data"]["id"]
        deadline = time.monotonic() + 60
        while http.get(f"{url}/campaign/{ident}").json()["data"]["state"] != "DONE":
            assert time.monotonic() < deadline, "the send never ended"
            time.sleep(0.1)
        http.put(f"{url}/campaign/{ident}", data={"name": "too late"})


@pytest.mark.parametrize("name", ["", "m_put_in_done"])
def test_a_put_after_done_is_judged_by_m5_live_and_recorded(name: str, tmp_path: Path) -> None:
    """Seen DONE, then changed: M-5 says the PUT is refused; whoever else wrote meanwhile,
    nothing takes a campaign out of DONE, so a success fails M-5 on traffic alone."""
    variant = next((v.apply for v in VARIANTS if v.name == name), None)
    live = tmp_path / "live.json"
    record = tmp_path / "session.jsonl"
    options = ("--listen", "127.0.0.1:0", "--record", str(record), "--json", str(live))
    with served(variant) as url, served_proxy("--to", url, *options) as proxy:
        _send_then_change(proxy.url)
        live_code = proxy.stop()
    code, report = _report(record, tmp_path)
    verdicts = _verdicts(report)
    assert verdicts == _verdicts(json.loads(live.read_text("utf-8")))
    if name:
        assert (code, live_code, verdicts["M-5"]) == (1, 1, "fail"), report["rules"]
    else:
        assert (code, live_code, verdicts["M-5"]) == (0, 0, "pass"), verdicts
