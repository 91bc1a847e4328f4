"""Reports: JUnit parses, JSON follows its schema, HTML stands alone, all carry the run facts."""

from __future__ import annotations

import base64
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import click
import jsonschema
import pytest
from click.testing import CliRunner
from flask import Flask

from campaign_contract.cli import main
from campaign_contract.coverage import rules
from campaign_contract.engine.outcome import CheckResult, Finding, RuleVerdict, Status
from campaign_contract.engine.run_report import CallbackLog, SeenCallback
from campaign_contract.report import (
    RunMeta,
    RunReport,
    render_html,
    render_json,
    render_junit,
    render_terminal,
)
from campaign_contract.report.evidence import shown_findings
from campaign_contract.report.schema import REPORT_SCHEMA
from campaign_contract.robustness.wrong import invent_wrong
from campaign_contract.transport.exchange import Exchange

from .apps import API_KEY, PASSWORD, USERNAME, create_app, serve
from .test_cli import write_config


def make_report() -> RunReport:
    crash = Exchange(
        method="POST",
        url="http://target.example/campaign",
        request_headers={
            "Authorization": "Basic YWxpY2U6c2VjcmV0",
            "Content-Type": "application/json",
        },
        request_body=b'{"name": ',
        status=500,
        response_headers=[("Content-Type", "text/html")],
        response_body=b"<h1>boom</h1>\x00\x01 <script>alert(1)</script>",
    )
    verdicts = []
    for part in rules.all_parts():
        if part.id == "V-4":
            result = CheckResult(
                "robustness.broken_json_is_400", "V-4", Status.FAIL, "expected 400"
            )
            result.findings = [Finding("expected HTTP 400, got HTTP 500", (crash,))]
            verdicts.append(RuleVerdict("V-4", Status.FAIL, "expected 400", results=[result]))
        elif part.id == "V-2":
            verdicts.append(RuleVerdict("V-2", Status.PASS))
        elif part.id == "V-1":
            verdicts.append(RuleVerdict("V-1", Status.WAIVED, waiver_reason="ticket 12"))
        elif part.level is rules.Level.PROFILE:
            verdicts.append(
                RuleVerdict(part.id, Status.NOT_EXERCISED, "not selected", selected=False)
            )
        else:
            verdicts.append(RuleVerdict(part.id, Status.NOT_EXERCISED, "no check yet"))
    meta = RunMeta(
        suite_version="0.1.0",
        openapi_sha256="0" * 64,
        base_url="http://target.example",
        seed=42,
        level="all",
        only=(),
        skip=(),
        max_examples=20,
        started="2026-01-01T00:00:00+00:00",
        finished="2026-01-01T00:00:01+00:00",
        duration_s=1.0,
        run_tag="[cc-abcd1234]",
    )
    return RunReport(
        meta, verdicts, warnings=["a warning"], waiver_notes=["V-2: waived, but passes"]
    )


@pytest.fixture
def report() -> RunReport:
    return make_report()


def test_junit_has_one_testcase_per_rule_part(report: RunReport) -> None:
    root = ET.fromstring(render_junit(report))
    cases = root.findall(".//testcase")
    assert len(cases) == len(rules.all_parts())
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name", "").split()[0] for c in failed] == ["V-4"]
    text = failed[0].find("failure").text or ""  # type: ignore[union-attr]
    assert "curl" in text and "REDACTED" in text and "secret" not in text
    assert "V-4 [profile] Failures before the application" in text
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["seed"] == "42" and props["openapi_sha256"] == "0" * 64
    assert props["base_url"] == "http://target.example" and props["suite_version"] == "0.1.0"


def test_json_follows_its_schema(report: RunReport) -> None:
    document = json.loads(render_json(report))
    jsonschema.validate(document, REPORT_SCHEMA)
    assert document["meta"]["seed"] == 42
    assert document["ok"] is False
    v4 = next(r for r in document["rules"] if r["id"] == "V-4")
    assert v4["findings"][0]["steps"][0]["curl"].startswith("curl ")
    assert v4["text"].startswith("V-4 [profile]")


def test_every_report_marks_observed_traffic_and_names_its_source(report: RunReport) -> None:
    """`judge FILE` and the proxy judge traffic the suite did not drive: each report says so
    and names the file (or the proxied server), and a `run` report is unchanged."""
    from dataclasses import replace

    observed = replace(report, meta=replace(report.meta, mode="judge", source="session.har"))
    document = json.loads(render_json(observed))
    jsonschema.validate(document, REPORT_SCHEMA)
    assert (document["meta"]["mode"], document["meta"]["source"]) == ("judge", "session.har")
    root = ET.fromstring(render_junit(observed))
    assert root.get("name") == "campaign-contract (observed)"
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert (props["mode"], props["source"]) == ("judge", "session.har")
    head = click.unstyle(render_terminal(observed)).splitlines()[0]
    assert "judging traffic recorded in session.har (http://target.example) (observed)" in head
    assert '<span class="badge">observed</span>' in render_html(observed)
    assert "session.har" in render_html(observed)
    plain = ET.fromstring(render_junit(report))
    assert plain.get("name") == "campaign-contract"
    assert "observed" not in click.unstyle(render_terminal(report)).splitlines()[0]
    assert json.loads(render_json(report))["meta"]["mode"] == "run"


def test_html_is_self_contained_and_escaped(report: RunReport) -> None:
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    assert "http-equiv" not in page and "<link" not in page and " src=" not in page
    assert "[cc-abcd1234]" in page and "0" * 64 in page and "seed" in page
    assert 'id="V-4"' in page


def test_terminal_groups_by_level_and_shows_failures(report: RunReport) -> None:
    text = click.unstyle(render_terminal(report))
    assert text.index("seed rules") < text.index("vendor rules") < text.index("profile rules")
    assert "FAIL    V-4" in text and "WAIVED  V-1" in text
    assert "$ curl -sS -i -X POST http://target.example/campaign" in text
    assert "! V-2: waived, but passes" in text
    assert "1 passed, 1 failed, 1 waived" in text


def test_report_ok_ignores_rules_left_out(report: RunReport) -> None:
    for verdict in report.verdicts:
        if verdict.selected and verdict.status is not Status.WAIVED:
            verdict.status = Status.PASS
    assert report.ok


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def _fail(report: RunReport, rule: str, *findings: Finding) -> None:
    """Make `rule` fail with these findings in `report`."""
    verdict = next(v for v in report.verdicts if v.rule == rule)
    result = CheckResult(f"check.of_{rule}", rule, Status.FAIL, "failed")
    result.findings = list(findings)
    verdict.status, verdict.results, verdict.selected = Status.FAIL, [result], True


def test_a_wrong_credential_is_shown_as_sent_and_the_configured_ones_never(
    report: RunReport,
) -> None:
    report.secrets = frozenset({"secret", "key-1"})
    wrong = [
        _basic("alice", "secret-not-it"),
        _basic("nobody-cc-1", "secret"),
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Bearer cc-token"},
        _basic("alice", "key-1"),
    ]
    findings = [
        Finding(
            f"accepted {n}", (Exchange("GET", "http://target.example/campaign/1", h, status=200),)
        )
        for n, h in enumerate(wrong)
    ]
    _fail(report, "V-5", *findings[:3])
    _fail(report, "V-3", *findings[3:])
    login = Exchange(
        "POST",
        "http://target.example/login/",
        {"Content-Type": "application/x-www-form-urlencoded"},
        b"username=alice&password=secret-not-it",
        status=200,
    )
    _fail(report, "V-1", Finding("a wrong password opens a session", (login,)))
    pages = [render_html(report), render_json(report), render_junit(report)]
    pages.append(click.unstyle(render_terminal(report)))
    for page in pages:
        assert "secret" not in page and "key-1" not in page and "YWxpY2U6c2VjcmV0" not in page
        assert "alice:REDACTED-not-it" in page and "nobody-cc-1:REDACTED" in page
        assert "Basic !!!not-base64" in page and "alice:REDACTED" in page
        assert "password=REDACTED-not-it" in page
    assert "Bearer cc-token" in render_html(report)
    # Without the secrets (a report made by hand), every credential is redacted.
    report.secrets = None
    assert "not-it" not in render_html(report) and "!!!not-base64" not in render_html(report)


def test_html_shows_a_request_several_findings_start_from_once(report: RunReport) -> None:
    creation = Exchange(
        "POST", "http://target.example/campaign", {}, b"name=x", 200, [], b'{"id": 7}'
    )
    callback = Exchange("POST", "http://127.0.0.1:9/cb/run/list-1", {}, b"event=delivered")
    read = Exchange("GET", "http://target.example/campaign/7", {}, status=200)
    _fail(report, "C-1", Finding("a callback is missing", (creation, callback)))
    _fail(report, "C-2", Finding("a body is not a form", (creation, callback)))
    _fail(report, "M-4", Finding("DONE too soon", (creation, read)))
    page = render_html(report)
    assert page.count("name=x") == 1  # the creation, shown once under Setup
    setup = page[page.index('<section id="setup">') :]
    assert 'id="setup-1"' in setup and "name=x" in setup
    assert page.count('href="#setup-1"') == 3
    # A callback (what the findings are about) stays in each finding, as does a last step.
    assert page.count("event=delivered") == 2
    assert page.count("http://target.example/campaign/7") == 1
    top = page[: page.index("<table>")]
    assert [f'href="#{r}"' in top for r in ("C-1", "C-2", "M-4", "V-4")] == [True] * 4


def test_json_carries_the_callbacks_and_their_lateness(report: RunReport) -> None:
    seen = (
        SeenCallback(0.5, 1_000, ("submitted", "submitted"), "list-1", 200),
        SeenCallback(1.0, 1_000, ("delivered",), "list-1", 503),
        SeenCallback(2.0, None, (), "list-1", 200),
    )
    report.callbacks = CallbackLog(posted=5_000.0, speed=600.0, skew=30.0, callbacks=seen)
    document = json.loads(render_json(report))
    jsonschema.validate(document, REPORT_SCHEMA)
    got = document["callbacks"]["callbacks"]
    # The server clock had passed 1000 by 0.5 s in, so at 1.0 s in it read at least 1300.
    assert [c["late_at_least"] for c in got] == [0.0, 300.0, None]
    assert got[0]["events"] == ["submitted", "submitted"] and got[1]["status"] == 503
    page = render_html(report)
    assert page.count('class="callback"') == 2 and page.count('class="c3-bound"') == 1
    assert page.count('class="bar"') >= 2 and "C-3: 300 s" in page


def ignoring_passwords(app: Flask, seen: list[str]) -> Flask:
    """`app` broken to let any user:password in by Basic, any password at /login/.

    `seen` gets every password sent.
    """
    inner = app.wsgi_app

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        try:
            decoded = base64.b64decode(token, validate=True).decode()
        except ValueError:
            decoded = ""
        if scheme.lower() == "basic" and ":" in decoded:
            seen.append(decoded.partition(":")[2])
            environ["HTTP_AUTHORIZATION"] = _basic(USERNAME, PASSWORD)["Authorization"]
        if environ.get("PATH_INFO", "").rstrip("/") == "/login":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            form = dict(parse_qsl(environ["wsgi.input"].read(length).decode()))
            if form.get("username") == USERNAME:
                seen.append(form.get("password", ""))
                form["password"] = PASSWORD
            body = urlencode(form).encode()
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        return inner(environ, start_response)

    app.wsgi_app = wsgi  # type: ignore[method-assign]
    return app


def test_a_run_reports_the_exact_wrong_password_it_sent_and_never_the_real_one(
    tmp_path: Path,
) -> None:
    seen: list[str] = []
    html, report = tmp_path / "report.html", tmp_path / "report.json"
    with serve(ignoring_passwords(create_app(), seen)) as url:
        args = ["run", "--base-url", url, "--config", str(write_config(tmp_path))]
        args += ["--only", "V-5", "--skip", "schema,stateful,callbacks", "--seed", "3"]
        result = CliRunner().invoke(
            main, [*args, "--html", str(html), "--json", str(report)], catch_exceptions=False
        )
    assert result.exit_code == 1, result.output  # a wrong password was let in: V-5 fails
    invented = set(seen) - {PASSWORD, API_KEY}
    assert len(invented) == 1, seen  # one wrong password per run, by Basic and at /login/
    wrong = invented.pop()
    assert PASSWORD not in wrong and API_KEY not in wrong
    page, document = html.read_text("utf-8"), json.loads(report.read_text("utf-8"))
    v5 = next(r for r in document["rules"] if r["id"] == "V-5")
    assert v5["status"] == "fail"
    curls = [s["curl"] for f in v5["findings"] for s in f["steps"]]
    for shown in (page, "\n".join(curls)):
        # The Basic replay and the /login/ form, exactly as sent (and ending there).
        assert re.search(rf"-u alice:{wrong}(?![\w-])", shown)
        assert re.search(rf"password={wrong}(?![\w-])", shown)
        # The unknown user was tried with the real password: that one is redacted.
        assert re.search(r"-u nobody-cc-[0-9a-f]+:REDACTED(?![\w-])", shown)
    for text in (page, report.read_text("utf-8")):
        assert PASSWORD not in text and API_KEY not in text and "REDACTED-" not in text


@pytest.mark.parametrize(
    ("known", "shape"),
    [
        ((PASSWORD, API_KEY), "cc-wrong-"),
        (("c", "-"), "xxxx"),  # in every "cc-wrong-…": the fallback
        (("c", "xx"), "yyyy"),
    ],
)
def test_the_invented_password_holds_no_configured_secret(
    known: tuple[str, ...], shape: str
) -> None:
    made = {invent_wrong(known) for _ in range(20)}
    assert all(w.startswith(shape) and len(w) >= 16 for w in made)
    assert not any(s in w for s in known for w in made)


def test_every_failing_check_shows_a_finding_before_any_shows_a_second() -> None:
    many = CheckResult(
        "wide", "V-5", Status.FAIL, findings=[Finding(f"cell {i}") for i in range(5)]
    )
    one = CheckResult("narrow", "V-5", Status.FAIL, findings=[Finding("the login")])
    shown, more = shown_findings(RuleVerdict("V-5", Status.FAIL, results=[many, one]))
    assert [(s.check, s.message) for s in shown] == [
        ("wide", "cell 0"),
        ("narrow", "the login"),
        ("wide", "cell 1"),
    ]
    assert more == 3
