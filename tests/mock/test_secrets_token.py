"""`?secrets=1` needs a token always (issue 18): a served mock makes one when it has no control
token, leaves it in a file only its user reads, and local tools find it there
(`campaign-mock token`, `campaign-contract init --from-mock`); nothing else shows a secret."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from tests.serving import running

from campaign_contract.cli import main as contract_main
from campaign_mock.testing.mock_handle import CampaignMock

COMMAND = [sys.executable, "-m", "campaign_mock"]
PASSWORD = "demo-password"
API_KEY = "demo-api-key-0123456789abcdef"
SECRET_ASKS = ["/_mock/fixtures?secrets=1", "/_mock/state?secrets=1", "/_mock/state?secrets=true"]


def _env(runtime: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CAMPAIGN_MOCK_CONTROL_TOKEN"}
    return {**env, "CAMPAIGN_MOCK_RUNTIME_DIR": str(runtime)}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str], str]]:
    """`campaign-mock serve` with its own runtime folder: URL, folder, process, banner."""
    runtime = tmp_path / "run"
    with running(
        [*COMMAND, "serve", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env=_env(runtime),
    ) as process:
        assert process.stderr is not None
        banner = []
        while not banner or not banner[-1].startswith("  callbacks:"):
            line = process.stderr.readline()
            assert line, "".join(banner)
            banner.append(line)
        match = re.search(r"serving on (http://\S+)", banner[0])
        assert match, banner
        yield match[1], runtime, process, "".join(banner)
        if process.poll() is None:
            process.terminate()
            process.communicate(timeout=15)


def _token(url: str, runtime: Path) -> subprocess.CompletedProcess[str]:
    port = url.rsplit(":", 1)[1]
    return subprocess.run(
        [*COMMAND, "token", "--port", port],
        capture_output=True,
        text=True,
        timeout=30,
        env=_env(runtime),
    )


def test_every_ask_for_secrets_without_the_token_is_refused_and_shows_nothing(
    served: tuple[str, Path, subprocess.Popen[str], str],
) -> None:
    url, _runtime, _process, _banner = served
    wrong = {"X-Mock-Token": "not-the-token"}
    for path in SECRET_ASKS:
        for headers in ({}, wrong, {"Authorization": "Bearer not-the-token"}):
            answer = requests.get(url + path, headers=headers, timeout=10)
            assert answer.status_code == 401, (path, answer.text)
            body = answer.json()
            assert body["success"] is False and body["data"]["code"] == "unauthorized"
            assert body["data"]["error"].startswith("secrets:"), body
            assert PASSWORD not in answer.text and API_KEY not in answer.text
    # A refused PUT changes nothing: the fixtures keep their password.
    put = requests.put(
        url + "/_mock/fixtures?secrets=1",
        json={"accounts": [{"username": "demo", "password": "changed", "api_keys": []}]},
        timeout=10,
    )
    assert put.status_code == 401, put.text
    login = requests.get(url + "/campaign/1", auth=("demo", PASSWORD), timeout=10)
    assert login.status_code == 404, login.text  # the old password still works
    # Without `?secrets=1`, loopback needs no token, and every secret is `***`.
    plain = requests.get(url + "/_mock/fixtures", timeout=10)
    assert plain.status_code == 200 and PASSWORD not in plain.text


def test_the_token_file_is_the_users_alone_and_opens_the_secrets(
    served: tuple[str, Path, subprocess.Popen[str], str],
) -> None:
    url, runtime, _process, banner = served
    found = _token(url, runtime)
    assert found.returncode == 0, found.stderr
    token = found.stdout.strip()
    assert len(token) >= 24 and token not in banner
    files = list(runtime.iterdir())
    assert [f.name for f in files] == [f"port-{url.rsplit(':', 1)[1]}.json"]
    assert stat.S_IMODE(runtime.stat().st_mode) == 0o700
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert json.loads(files[0].read_text())["url"] == url
    for headers in ({"X-Mock-Token": token}, {"Authorization": f"Bearer {token}"}):
        answer = requests.get(url + "/_mock/fixtures?secrets=1", headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"]["accounts"][0]["password"] == PASSWORD


def test_a_stopped_mock_takes_its_token_away(
    served: tuple[str, Path, subprocess.Popen[str], str],
) -> None:
    url, runtime, process, _banner = served
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=15)
    assert list(runtime.iterdir()) == []
    gone = _token(url, runtime)
    assert gone.returncode == 7, gone
    assert gone.stderr.count("\n") == 1 and "no mock serving on port" in gone.stderr


def test_init_from_mock_finds_the_token_on_this_machine_and_only_there(
    served: tuple[str, Path, subprocess.Popen[str], str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, runtime, _process, _banner = served
    monkeypatch.delenv("CAMPAIGN_MOCK_CONTROL_TOKEN", raising=False)
    monkeypatch.setenv("CAMPAIGN_MOCK_RUNTIME_DIR", str(runtime))
    config = tmp_path / "contract.yaml"
    made = CliRunner().invoke(contract_main, ["init", "--from-mock", url, "-o", str(config)])
    assert made.exit_code == 0, made.output
    assert PASSWORD in config.read_text()
    # Elsewhere (another folder: another user, another machine), no token is found, and
    # init says why in one line instead of writing a config without the passwords.
    monkeypatch.setenv("CAMPAIGN_MOCK_RUNTIME_DIR", str(tmp_path / "elsewhere"))
    refused = CliRunner().invoke(
        contract_main, ["init", "--from-mock", url, "-o", str(tmp_path / "other.yaml")]
    )
    assert refused.exit_code != 0 and "secrets" in refused.output, refused.output
    assert not (tmp_path / "other.yaml").exists()
    # The token given by the environment wins, as `serve --control-token` reads it.
    token = _token(url, runtime).stdout.strip()
    monkeypatch.setenv("CAMPAIGN_MOCK_CONTROL_TOKEN", token)
    again = CliRunner().invoke(
        contract_main, ["init", "--from-mock", url, "-o", str(tmp_path / "again.yaml")]
    )
    assert again.exit_code == 0, again.output


def test_the_handles_control_headers_carry_the_token() -> None:
    with CampaignMock.serve() as live:
        asked = requests.get(f"{live.url}/_mock/fixtures?secrets=1", timeout=10)
        assert asked.status_code == 401
        shown = requests.get(
            f"{live.url}/_mock/fixtures?secrets=1", headers=live.control_headers, timeout=10
        )
        assert shown.json()["data"]["accounts"][0]["password"] == PASSWORD
