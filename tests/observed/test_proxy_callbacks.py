"""Callbacks through the proxy: it hands the server its own receiver for each campaign's
`event_callback`, forwards every callback to the client's URL (the query string as the server
sent it) with the client's answer going back, shows the client its own URL in answers, and
judges the callbacks by A, E and C: the mock passes; a broken variant fails its rule, while
the client still receives every callback the server made; `judge` on the recording agrees."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from tests.contract.callback_variants import CALLBACK_VARIANTS, SPEED, served
from tests.contract.catalogue import load

from campaign_contract.config.scaffold import config_from_state, fetch_mock_state

from .proxying import THIS_PYTHON, served_proxy

AUTH = ("demo", "demo-password")
#: The client's own query string, which C-1 says reaches it unchanged.
QUERY = "k=v%20w&n="
#: Real seconds after the last DONE in which a callback may still come: C-3's 300 s on the
#: mock's clock, plus the config's clock_skew, plus a margin for a loaded machine.
SETTLE = (300 + 120) / SPEED + 1.0

load()


@dataclass
class ClientReceiver:
    """The client's own callback receiver: records every request raw, answers 200."""

    got: list[tuple[str, str, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    last: float = 0.0
    refuse: int = 0


@contextmanager
def client_receiver(refuse: int = 0) -> Iterator[ClientReceiver]:
    """The client's receiver; it answers its first `refuse` callbacks 500."""
    kept = ClientReceiver(refuse=refuse)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with kept.lock:
                kept.got.append((self.command, self.path, body))
                kept.last = time.monotonic()
                status = 500 if len(kept.got) <= refuse else 200
            self.send_response(status)
            self.send_header("Content-Length", "3")
            self.end_headers()
            self.wfile.write(b"ok\n")

        do_PUT = do_POST

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kept.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield kept
    finally:
        server.shutdown()
        server.server_close()


def _config(url: str, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """`init --from-mock`'s config with the tests' mock clock and a free receiver port."""
    document: dict[str, Any] = config_from_state(fetch_mock_state(url), url)
    document["limits"] = {"clock_speed": SPEED, "clock_skew": 120, "request_timeout": 5}
    document["callbacks"] = {"listen": {"host": "127.0.0.1", "port": 0}}
    path = tmp_path / "contract.yaml"
    path.write_text(yaml.safe_dump(document), "utf-8")
    return path, document


def _session(url: str, hook: str, document: dict[str, Any]) -> dict[int, str]:
    """A client's sends: one campaign per test list, now, READY, with its own callback URL
    (JSON for the last, a form for the others; every segment where there are several), read
    until DONE. Returns each campaign's callback URL as the client set it."""
    mine: dict[int, str] = {}
    with requests.Session() as http:
        http.auth = AUTH
        lists = document["lists"]
        for n, test_list in enumerate(lists):
            segments = [s["id"] for s in test_list.get("segments", [])]
            callback = f"{hook}/hooks/{n}?{QUERY}{n}"
            fields: dict[str, Any] = {
                "name": f"send {n}",
                "domain": document["domains"]["bouncing"],
                "list": test_list["id"],
                "state": "READY",
                "when": int(time.time()) - 5,
                "event_callback": callback,
            }
            if n == len(lists) - 1 and n > 0:
                made = http.post(f"{url}/campaign", json={**fields, "segments": segments})
            else:
                form = {k: str(v) for k, v in fields.items()}
                made = http.post(f"{url}/campaign", data={**form, "segments[]": segments})
            data = made.json()["data"]
            assert made.json()["success"] is True, data
            assert data["event_callback"] == callback  # the client reads back its own URL
            mine[data["id"]] = callback
        deadline = time.monotonic() + 60
        for ident, callback in mine.items():
            while True:
                view = http.get(f"{url}/campaign/{ident}").json()["data"]
                assert view["event_callback"] == callback
                if view["state"] in ("DONE", "ERROR"):
                    break
                assert time.monotonic() < deadline, f"campaign {ident} never ended"
                time.sleep(0.1)
    return mine


def _quiet(client: ClientReceiver, late: float) -> None:
    """Wait out C-3's window after the sends ended (and `late` seconds more, for a server
    known to be late), then for callbacks to stop coming."""
    time.sleep(SETTLE + late)
    while True:
        with client.lock:
            since = time.monotonic() - client.last
        if since >= 1.0:
            return
        time.sleep(1.0 - since)


def _through_the_proxy(
    server: str, tmp_path: Path, late: float = 0.0, refuse: int = 0
) -> tuple[int, dict[str, Any], ClientReceiver, dict[int, str], Path, Path, list[str]]:
    config, document = _config(server, tmp_path)
    live, record = tmp_path / "live.json", tmp_path / "session.jsonl"
    options = ("--config", str(config), "--record", str(record), "--json", str(live))
    with (
        client_receiver(refuse) as client,
        served_proxy("--to", server, "--listen", "127.0.0.1:0", *options) as proxy,
    ):
        mine = _session(proxy.url, client.url, document)
        _quiet(client, late)
        code = proxy.stop()
    return code, json.loads(live.read_text("utf-8")), client, mine, record, config, proxy.stdout


def _recorded_callbacks(record: Path) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in record.read_text("utf-8").splitlines()]
    return [line for line in lines if line.get("kind") == "callback"]


def _verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in report["rules"]}


def _judged(record: Path, config: Path, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "judged.json"
    done = subprocess.run(
        [*THIS_PYTHON, "judge", str(record), "--config", str(config), "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    return json.loads(out.read_text("utf-8"))


def _client_got_every_callback(client: ClientReceiver, record: Path, query_kept: bool) -> None:
    """What the server made reached the client: the same bodies, paths after the token, and
    the query as the server sent it."""
    made = _recorded_callbacks(record)
    assert made, "the server made no callback through the proxy"
    with client.lock:
        got = list(client.got)

    def sent(line: dict[str, Any]) -> tuple[str, str, bytes]:
        target = line["target"]
        after = target.split("/cb/", 1)[1]
        rest = after[after.index("/") :] if "/" in after.split("?", 1)[0] else "/"
        return line["method"], rest, base64.b64decode(line["body_b64"])

    assert sorted(got) == sorted(sent(line) for line in made)
    with client.lock:
        refused = sum(1 for n in range(len(got)) if n < client.refuse)
    statuses = [line["status"] for line in made]  # the client's answer went back
    assert statuses.count(500) == refused and statuses.count(200) == len(made) - refused
    assert all(("?" + QUERY in path) == query_kept for _m, path, _b in got)


def test_the_mock_passes_and_the_client_gets_every_callback(tmp_path: Path) -> None:
    with served() as server:
        code, live, client, mine, record, config, lines = _through_the_proxy(server, tmp_path)
    verdicts = _verdicts(live)
    failed = {r["id"]: r["reason"] for r in live["rules"] if r["status"] == "fail"}
    assert code == 0 and not failed, failed
    for rule in ("A-1", "A-2", "C-1", "C-2", "C-3", "C-4", "E-1", "E-2"):
        assert verdicts[rule] == "pass", (rule, verdicts[rule], live["rules"])
    _client_got_every_callback(client, record, query_kept=True)
    assert any(" callback delivered " in line and "-> client 200" in line for line in lines)
    assert _verdicts(_judged(record, config, tmp_path)) == verdicts
    assert len(mine) >= 2


#: Broken variants whose fault the client's sends show through the proxy, by the rule.
SHOWN = {
    "a1_stranger_reported": "A-1",
    "c_query_dropped": "C-1",
    "c1_bounced_never_reported": "C-1",
    "c_two_event_types": "C-2p",
    "c_late_batches": "C-3",
    "e_sms_opened": "E-1",
    "e_delivered_then_bounced": "E-2",
}


#: Variants whose callbacks come later than C-3 allows: the session waits for them (real s).
LATE = {"c_late_batches": 900 / SPEED}


@pytest.mark.parametrize("name", sorted(SHOWN))
def test_a_broken_variant_fails_its_rule_and_the_client_still_gets_every_callback(
    name: str, tmp_path: Path
) -> None:
    variant = next(v for v in CALLBACK_VARIANTS if v.name == name)
    with served(variant.apply) as server:
        code, live, client, _mine, record, config, _lines = _through_the_proxy(
            server, tmp_path, LATE.get(name, 0.0)
        )
    failed = {r["id"] for r in live["rules"] if r["status"] == "fail"}
    assert code == 1 and SHOWN[name] in failed, (failed, live["rules"])
    _client_got_every_callback(client, record, query_kept=name != "c_query_dropped")
    assert _verdicts(_judged(record, config, tmp_path)) == _verdicts(live)


def test_a_callback_url_elsewhere_goes_to_the_server_as_sent_and_is_said(tmp_path: Path) -> None:
    """Only loopback (and --callback-to hosts) are forwarded: another URL reaches the server
    untouched, and the proxy says its callbacks are not judged; a loopback one reaches the
    server as the proxy's receiver, while the client reads back its own."""
    elsewhere = "https://hooks.example/cb?x=1"
    with served() as server, served_proxy("--to", server, "--listen", "127.0.0.1:0") as proxy:
        with requests.Session() as http:
            http.auth = AUTH
            fields = {"name": "n", "domain": 1, "list": 1}
            far = http.post(f"{proxy.url}/campaign", json={**fields, "event_callback": elsewhere})
            near_url = "http://127.0.0.1:9/hook?y=2"
            near = http.post(f"{proxy.url}/campaign", data={**fields, "event_callback": near_url})
            stored_far = http.get(f"{server}/campaign/{far.json()['data']['id']}").json()
            stored_near = http.get(f"{server}/campaign/{near.json()['data']['id']}").json()
        proxy.stop()
    assert far.json()["data"]["event_callback"] == elsewhere
    assert stored_far["data"]["event_callback"] == elsewhere
    assert near.json()["data"]["event_callback"] == near_url
    handed = stored_near["data"]["event_callback"]
    assert "/cb/" in handed and handed.endswith("/hook?y=2") and handed != near_url
    said = "\n".join(proxy.stderr)
    assert "hooks.example" in said and "not judged" in said and "x=1" not in said


def test_a_client_receiver_that_refuses_makes_the_server_retry(tmp_path: Path) -> None:
    """The client's URL refuses connections: the server's callback gets no answer either (the
    proxy resets it), so the server retries, as it would have without the proxy."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        record = tmp_path / "session.jsonl"
        options = ("--listen", "127.0.0.1:0", "--record", str(record))
        with served() as server, served_proxy("--to", server, *options) as proxy:
            requests.post(
                f"{proxy.url}/campaign",
                data={"name": "n", "domain": "1", "list": "2", "state": "READY",
                      "when": str(int(time.time()) - 5),
                      "event_callback": f"http://127.0.0.1:{port}/hook"},
                auth=AUTH,
                timeout=10,
            )  # fmt: skip
            deadline = time.monotonic() + 60
            while True:
                made = _recorded_callbacks(record)
                bodies = [line["body_b64"] for line in made]
                if any(bodies.count(b) > 1 for b in bodies):
                    break
                assert time.monotonic() < deadline, made
                time.sleep(0.2)
            proxy.stop()
    assert all(line["status"] is None for line in made), made
    assert any("refused" in line.lower() or "reset" in line for line in proxy.stderr)


#: Real seconds C-4's hour takes on the tests' mock, with the config's clock_skew.
HOUR = (3600 + 120) / SPEED


@pytest.mark.parametrize(("name", "c4"), [("", "pass"), ("c_never_retries", "fail")])
def test_a_callback_the_client_refused_comes_again_within_the_hour(
    name: str, c4: str, tmp_path: Path
) -> None:
    variant = next((v.apply for v in CALLBACK_VARIANTS if v.name == name), None)
    with served(variant) as server:
        code, live, client, _mine, record, _config, _lines = _through_the_proxy(
            server, tmp_path, late=HOUR, refuse=1
        )
    rules = {r["id"]: r for r in live["rules"]}
    assert rules["C-4"]["status"] == c4, rules["C-4"]
    clause = next(c for c in rules["C-4"]["clauses"] if c["id"] == "C-4.other-status-retried")
    assert clause["cells_exercised"] == 1  # the client's 500, judged a whole hour later
    _client_got_every_callback(client, record, query_kept=True)
    if not name:
        assert code == 0
