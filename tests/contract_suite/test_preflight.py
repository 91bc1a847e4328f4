"""Preflight blames the right thing: exit 3 only when nothing answers HTTP, the TLS or HTTP
framing fails, or the credentials are refused; a server that answers HTTP but not (always) the
envelope is judged, and a run in which no answer was the envelope says so (a wrong base URL?).

Through the real `campaign-contract run` command and its JSON report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response

from campaign_contract.engine.preflight import NO_ENVELOPE_HINT

from .apps import create_app, serve
from .test_stops import run_cli, write_config


def errors_rewritten(rewrite: Callable[[int], Response]) -> Flask:
    """The conforming test server, every failure answer (4xx, or `success: false`) rewritten."""
    app = create_app()

    @app.after_request
    def failures(response: Response) -> Response:
        body = response.get_json(silent=True)
        failed = isinstance(body, dict) and body.get("success") is False
        return rewrite(response.status_code) if failed or response.status_code >= 400 else response

    return app


def plain_text(status: int) -> Response:
    return Response(f"error {status}", status=status, content_type="text/plain")


def bare_json(status: int) -> Response:
    return Response(json.dumps({"error": f"error {status}"}), status=status,
                    content_type="application/json")  # fmt: skip


def judged(app: Flask, tmp_path: Path) -> tuple[int, str, dict[str, Any]]:
    report = tmp_path / "report.json"
    with serve(app) as url:
        done, _took = run_cli("run", "--base-url", url, "--config", str(write_config(tmp_path)),
                              "--only", "robustness", "--seed", "1", "--json", str(report),
                              timeout=240)  # fmt: skip
    return done.returncode, done.stdout + done.stderr, json.loads(report.read_text("utf-8"))


def rule(document: dict[str, Any], part: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in document["rules"] if r["id"] == part)
    return found


def test_plain_text_errors_are_judged_not_blamed_on_the_target(tmp_path: Path) -> None:
    code, output, document = judged(errors_rewritten(plain_text), tmp_path)
    assert code == 1, output
    assert document["stopped"] is None
    for part in ("V-1", "V-3", "V-4"):
        verdict = rule(document, part)
        assert verdict["status"] == "fail", verdict
        steps = [s for f in verdict["findings"] for s in f["steps"]]
        assert any("text/plain" in s["response"] and "error " in s["response"] for s in steps)
    # V-2 is about JSON responses: a text answer is V-1's fault, not V-2's.
    assert rule(document, "V-2")["status"] == "pass"
    # Its successes were the envelope: no hint that the URL is wrong.
    assert NO_ENVELOPE_HINT not in document["warnings"] and NO_ENVELOPE_HINT not in output


def test_json_errors_without_the_envelope_fail_v2(tmp_path: Path) -> None:
    code, output, document = judged(errors_rewritten(bare_json), tmp_path)
    assert code == 1, output
    verdict = rule(document, "V-2")
    assert verdict["status"] == "fail", verdict
    steps = [s for f in verdict["findings"] for s in f["steps"]]
    assert any('{"error": "error 404"}' in s["response"] for s in steps), steps


@pytest.mark.parametrize("status", [200, 404])
def test_a_wrong_base_url_gets_a_verdict_and_the_hint(status: int, tmp_path: Path) -> None:
    app = Flask("not-the-api")
    page = "<html><h1>Not here</h1></html>"
    methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
    app.add_url_rule("/", "root", lambda: (page, status), methods=methods)
    app.add_url_rule("/<path:anything>", "page", lambda anything: (page, status), methods=methods)
    code, output, document = judged(app, tmp_path)
    assert code == 1, output
    assert document["warnings"][0] == NO_ENVELOPE_HINT
    assert f"! {NO_ENVELOPE_HINT}" in output
    verdict = rule(document, "V-1")
    assert verdict["status"] == "fail"
    assert any("Not here" in s["response"] for f in verdict["findings"] for s in f["steps"])
    # Nothing it could not judge passed: the checks that needed the envelope say so.
    assert not [r["id"] for r in document["rules"] if r["status"] == "pass" and
                r["id"] in ("R-1", "V-5", "V-2")]  # fmt: skip
