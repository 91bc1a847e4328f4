"""`campaign-mock serve`'s start banner on a team's mock (issue 18, item 6): it names the
accounts and says where their secrets are, but never prints a password, an API key or the
control token, on loopback or on every interface, isolated or not, with many accounts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml
from tests.serving import running

COMMAND = [sys.executable, "-m", "campaign_mock"]
ACCOUNTS = 40
TOKEN = "control-token-a1b2c3d4e5"


def _team_fixtures(path: Path) -> tuple[Path, list[str]]:
    """Forty accounts, each with a password and two API keys; returns the file and secrets."""
    accounts = [
        {
            "username": f"dev{i:02d}",
            "password": f"pw-{i:02d}-Zq8rT",
            "api_keys": [f"key-{i:02d}-a-9f8e7d6c5b4a", f"key-{i:02d}-b-0a1b2c3d4e5f"],
        }
        for i in range(ACCOUNTS)
    ]
    document = {
        "accounts": accounts,
        "domains": [{"id": 1, "name": "b.example", "is_bouncing": True}],
        "lists": [{"id": 1, "name": "One", "contacts": [{"id": 1, "email": "a@example.com"}]}],
    }
    path.write_text(yaml.safe_dump(document))
    secrets = [a["password"] for a in accounts] + [k for a in accounts for k in a["api_keys"]]
    return path, secrets


def _serve_and_stop(*args: str) -> tuple[str, str, str]:
    """Start the mock, read its banner, make one authenticated request, stop it: the URL,
    everything it wrote on stdout and on stderr."""
    with running(
        [*COMMAND, "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        banner: list[str] = []
        try:
            while not banner or not banner[-1].startswith("  callbacks:"):
                line = process.stderr.readline()
                assert line, "".join(banner)
                banner.append(line)
            match = re.search(r"serving on http://[^:]+:(\d+)", banner[0])
            assert match, banner
            url = f"http://127.0.0.1:{match[1]}"
            answer = requests.get(f"{url}/campaign/1", auth=("dev00", "pw-00-Zq8rT"), timeout=10)
            assert answer.status_code == 404, answer.text  # the server runs; the account works
        finally:
            process.terminate()
            stdout, rest = process.communicate(timeout=15)
    return url, stdout, "".join(banner) + rest


@pytest.mark.parametrize(
    "extra",
    [(), ("--host", "0.0.0.0", "--control-token", TOKEN), ("--isolate", "accounts")],
    ids=["loopback", "every-interface-with-token", "isolated"],
)
def test_the_banner_prints_no_secret_and_names_a_few_accounts(
    extra: tuple[str, ...], tmp_path: Path
) -> None:
    fixtures, secrets = _team_fixtures(tmp_path / "team.yaml")
    _url, stdout, stderr = _serve_and_stop("--fixtures", str(fixtures), *extra)
    printed = stdout + stderr
    leaked = [s for s in [*secrets, TOKEN] if s in printed]
    assert not leaked, printed
    # Named by a count and a few names, not all forty; and where their secrets are.
    assert f"accounts ({ACCOUNTS}): 'dev00'" in stderr, stderr
    assert "more" in stderr and "'dev39'" not in stderr, stderr
    assert f"not printed; see {fixtures}" in stderr, stderr
    if "--control-token" in extra:
        assert "GET /_mock/fixtures?secrets=1 with the control token" in stderr, stderr
    else:  # the token `?secrets=1` needs always, and where to read it, never the token
        assert "`campaign-mock token --port " in stderr, stderr


def test_a_state_urls_password_is_not_printed_with_workers(redis_url: str) -> None:
    """`--state redis://:PASSWORD@host` (Redis's `requirepass`): the granian banner printed the
    URL as given; it names the store as the waitress banner does, without the password."""
    password = "redis-pw-7f6e5d4c"
    with_password = redis_url.replace("redis://", f"redis://:{password}@", 1)
    with running(
        [*COMMAND, "serve", "--port", "0", "--state", with_password, "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        banner: list[str] = []
        try:
            banner.append(process.stderr.readline())  # granian's banner is one line
            assert "with granian" in banner[0], banner[0]
        finally:
            process.terminate()
            stdout, rest = process.communicate(timeout=30)
    printed = stdout + "".join(banner) + rest
    assert password not in printed, printed
    assert redis_url.removeprefix("redis://") in printed, printed  # the store is still named
