"""The command line: help texts, init, config errors, run's exit code and report files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask, jsonify

from campaign_contract.cli import main
from campaign_contract.config.model import load_config

from .apps import create_app, serve
from .conftest import config_document

#: V-4 as the robustness layer judges it (the schema and stateful layers judge it too).
ROBUSTNESS_ONLY = ("--skip", "schema,stateful,callbacks")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write_config(tmp_path: Path, **overrides: object) -> Path:
    path = tmp_path / "contract.yaml"
    document = config_document(ledger=str(tmp_path / "ledger.json"), **overrides)
    path.write_text(yaml.safe_dump(document), "utf-8")
    return path


@pytest.mark.parametrize(
    "command", [[], ["run"], ["proxy"], ["judge"], ["init"], ["clean"], ["rules"]]
)
def test_every_command_has_help_with_examples(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "campaign-contract" in result.output


def test_init_writes_a_template_that_loads_once_its_variables_are_set(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "c.yaml"
    result = runner.invoke(main, ["init", "-o", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text("utf-8")
    assert text.startswith("# campaign-contract configuration")
    config = load_config(target, environ={"CAMPAIGN_USERNAME": "u", "CAMPAIGN_PASSWORD": "p"})
    assert config.auth.username == "u" and config.domains.bouncing == 1


def test_init_refuses_to_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "c.yaml"
    target.write_text("mine", "utf-8")
    result = runner.invoke(main, ["init", "-o", str(target)])
    assert result.exit_code == 2 and target.read_text("utf-8") == "mine"


MOCK_STATE = {
    "fixtures": {
        "accounts": [{"username": "demo", "password": "demo-pw", "api_keys": ["k1"]}],
        "domains": [
            {"id": 1, "name": "bounce.example", "is_sending": True, "is_bouncing": True},
            {"id": 2, "name": "send.example", "is_sending": True, "is_bouncing": False},
        ],
        "lists": [
            {
                "id": 1,
                "name": "main",
                "contacts": [
                    {"id": 10, "email": "a@example.com", "telephone": "+351910000001"},
                    {"id": 11, "email": None, "telephone": "+351910000002"},
                ],
                "segments": [{"id": 5, "name": "both", "contacts": [10, 11]}],
            },
            {"id": 2, "name": "empty", "contacts": [], "segments": []},
            {
                "id": 3,
                "name": "outage",
                "contacts": [{"id": 12, "email": "Fail+x@Simulator.Campaign-Mock.dev"}],
                "segments": [],
            },
            {
                "id": 4,
                "name": "sms outage",
                "contacts": [
                    {"id": 13, "email": "b@example.com", "telephone": None},
                    {"id": 14, "email": None, "telephone": "+15005550009"},
                ],
                "segments": [],
            },
            {
                "id": 5,
                "name": "other magic",
                "contacts": [{"id": 15, "email": "bounce@simulator.campaign-mock.dev"}],
                "segments": [],
            },
        ],
        "payloads": ["email", "sms"],
    },
    "campaigns": [],
    "clock": {"now": 1767225600.0, "mode": "real", "speed": 600.0},
}


@pytest.fixture(params=["bare", "envelope"])
def mock_url(request: pytest.FixtureRequest) -> Iterator[str]:
    app = Flask("fake_mock")
    state = MOCK_STATE if request.param == "bare" else {"success": True, "data": MOCK_STATE}
    app.add_url_rule("/_mock/state", "state", lambda: jsonify(state))
    with serve(app) as url:
        yield url


def test_init_from_mock_fills_the_config_in(
    runner: CliRunner, tmp_path: Path, mock_url: str
) -> None:
    target = tmp_path / "c.yaml"
    result = runner.invoke(main, ["init", "--from-mock", mock_url, "-o", str(target)])
    assert result.exit_code == 0, result.output
    config = load_config(target, environ={})
    assert (config.auth.username, config.auth.password, config.auth.api_key) == (
        "demo",
        "demo-pw",
        "k1",
    )
    assert (config.domains.bouncing, config.domains.non_bouncing, config.empty_list) == (1, 2, 2)
    assert config.lists[0].segments[0].members == ("a@example.com", "+351910000002")
    assert config.base_url == mock_url
    # Lists with a magic fail address are never test lists; the first is the error_list.
    assert ([c.id for c in config.lists], config.error_list) == ([1, 5], 3)
    # The receiver takes any free port (its URL derived), and the mock's clock speed is kept.
    assert (config.callbacks.listen_port, config.callbacks.public_url) == (0, None)
    assert config.limits.clock_speed == 600.0
    # One real second of lag (630 server seconds at 600x) on top of the default 30 s skew.
    assert config.limits.clock_skew == 630.0


@pytest.mark.parametrize(
    ("speed", "skew", "lag"),
    [(1, 30.0, 0.0), (0.5, 30.0, 0.0), (60, 90.0, 2.0), (600, 630.0, 2.0)],
)
def test_init_from_mock_gives_a_sped_up_mock_one_real_second_of_skew_and_two_of_lag(
    runner: CliRunner, tmp_path: Path, speed: float, skew: float, lag: float
) -> None:
    """At speed N one real second of lag is N server seconds: clock_skew covers it above 1,
    and C-3's lateness alone gets two real seconds more (clock_lag)."""
    app = Flask("fake_mock")
    state = {**MOCK_STATE, "clock": {**MOCK_STATE["clock"], "speed": speed}}
    app.add_url_rule("/_mock/state", "state", lambda: jsonify(state))
    target = tmp_path / "c.yaml"
    with serve(app) as url:
        result = runner.invoke(main, ["init", "--from-mock", url, "-o", str(target)])
    assert result.exit_code == 0, result.output
    limits = load_config(target, environ={}).limits
    assert (limits.clock_speed, limits.clock_skew, limits.clock_lag) == (speed, skew, lag)


def test_init_from_an_unreachable_mock_is_one_line(runner: CliRunner) -> None:
    result = runner.invoke(main, ["init", "--from-mock", "http://127.0.0.1:9"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "/_mock/state" in result.stderr


def test_a_config_error_exits_2_with_one_line_naming_the_key(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = write_config(tmp_path, domains={"bouncing": "many"})
    result = runner.invoke(main, ["run", "--base-url", "http://127.0.0.1:9", "--config", str(path)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "domains.bouncing" in result.stderr
    assert result.stdout == ""


def test_a_bad_only_token_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    path = write_config(tmp_path)
    args = ["run", "--base-url", "http://127.0.0.1:9", "--config", str(path), "--only", "X-1"]
    result = runner.invoke(main, args)
    assert result.exit_code == 2 and "--only: 'X-1'" in result.stderr


def test_run_exits_0_when_every_selected_rule_passes(
    runner: CliRunner, tmp_path: Path, conforming_url: str
) -> None:
    path = write_config(tmp_path)
    junit, report, page = tmp_path / "r.xml", tmp_path / "r.json", tmp_path / "r.html"
    args = ["run", "--base-url", conforming_url, "--config", str(path), "--only", "robustness"]
    args += ["--seed", "7", "--junitxml", str(junit), "--json", str(report), "--html", str(page)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "robustness.broken_json_is_400 ... pass" in result.stderr
    assert "failed" in result.stdout and "seed 7" in result.stdout
    assert len(ET.parse(junit).getroot().findall(".//testcase")) > 10
    assert json.loads(report.read_text("utf-8"))["meta"]["seed"] == 7
    assert page.read_text("utf-8").startswith("<!DOCTYPE html>")


def test_run_exits_1_when_a_rule_fails(runner: CliRunner, tmp_path: Path) -> None:
    path = write_config(tmp_path)
    with serve(create_app(frozenset({"json500"}))) as url:
        args = ["run", "--base-url", url, "--config", str(path), "--only", "V-4", *ROBUSTNESS_ONLY]
        result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert "FAIL    V-4" in result.stdout


def test_run_exits_1_when_a_selected_rule_is_not_exercised(
    runner: CliRunner, tmp_path: Path, conforming_url: str
) -> None:
    path = write_config(tmp_path)
    args = ["run", "--base-url", conforming_url, "--config", str(path), "--only", "V,M-1"]
    args += ["--skip", "stateful,schema,callbacks"]
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert "NOT RUN M-1" in result.stdout


def test_a_waiver_turns_a_failure_into_exit_0(runner: CliRunner, tmp_path: Path) -> None:
    path = write_config(tmp_path)
    waivers = tmp_path / "w.yaml"
    waivers.write_text("- {rule: V-4, reason: known crash, expires: 2999-01-01}\n", "utf-8")
    with serve(create_app(frozenset({"json500"}))) as url:
        args = ["run", "--base-url", url, "--config", str(path), "--only", "V-4", *ROBUSTNESS_ONLY]
        result = runner.invoke(main, [*args, "--waivers", str(waivers)])
    assert result.exit_code == 0, result.output
    assert "WAIVED  V-4" in result.stdout


def test_clean_deletes_what_an_interrupted_run_left(
    runner: CliRunner, tmp_path: Path, conforming_url: str
) -> None:
    from campaign_contract.engine.ledger import Ledger, LedgerEntry
    from campaign_contract.engine.runner import open_client

    path = write_config(tmp_path)
    config = load_config(path)
    client, _ = open_client(config, conforming_url)
    with client:
        mine = client.post("/campaign", form={"name": "x [cc-dead]", "domain": "1", "list": "1"})
        theirs = client.post("/campaign", form={"name": "not ours", "domain": "1", "list": "1"})
    ledger = Ledger(config.ledger)
    for answer in (mine, theirs):
        ledger.add(LedgerEntry(conforming_url, answer.data()["id"], "[cc-dead]", "now"))
    result = runner.invoke(main, ["clean", "--config", str(path), "--base-url", conforming_url])
    assert result.exit_code == 0, result.output
    assert f"campaign {mine.data()['id']}: deleted" in result.stdout
    assert f"campaign {theirs.data()['id']}: not ours" in result.stdout
    assert ledger.entries() == []
