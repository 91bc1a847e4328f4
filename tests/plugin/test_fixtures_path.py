"""A relative fixtures path means the same to the marker and to `intercept()`: the file next
to the test that names it, wherever pytest runs from (issue 9: `intercept` used the current
directory, so the integrator guide's tests broke when run from elsewhere)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import campaign_mock

FIXTURES = """\
accounts: [{username: shop, password: shop-secret}]
domains: [{id: 3, name: mail.shop.example}]
lists: [{id: 5, name: Five, contacts: [{id: 1, email: a@example.com}]}]
"""

USER_TESTS = """
import pytest
import requests

import campaign_mock

API = "https://api.shop.test"
module_level = campaign_mock.intercept(API, fixtures="data/shop.yaml")


def created(base, auth):
    data = {"name": "n", "domain": 3, "list": 5}
    return requests.post(base + "/campaign", auth=auth, data=data, timeout=10).json()


@pytest.mark.campaign_mock(fixtures="data/shop.yaml")
def test_marker(campaign_mock):
    assert campaign_mock.auth == ("shop", "shop-secret")
    assert created(campaign_mock.url, campaign_mock.auth)["success"]


def test_intercept_in_a_test():
    with campaign_mock.intercept(API, fixtures="data/shop.yaml") as mock:
        assert mock.auth == ("shop", "shop-secret")
        assert created(API, mock.auth)["success"]


@module_level
def test_intercept_as_a_decorator():
    assert created(API, ("shop", "shop-secret"))["success"]
"""


def test_marker_and_intercept_find_the_file_beside_the_test(tmp_path: Path) -> None:
    suite = tmp_path / "project" / "tests"
    (suite / "data").mkdir(parents=True)
    (suite / "data" / "shop.yaml").write_text(FIXTURES)
    (suite / "test_shop.py").write_text(USER_TESTS)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for cwd, target in [(elsewhere, str(suite)), (tmp_path / "project", "tests")]:
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", target],
            cwd=cwd, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert run.returncode == 0 and "3 passed" in run.stdout, (cwd, run.stdout, run.stderr)


def test_without_a_calling_file_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a REPL or `exec` there is no file to be beside: the current directory."""
    (tmp_path / "shop.yaml").write_text(FIXTURES)
    monkeypatch.chdir(tmp_path)
    found: dict[str, object] = {}
    code = "with intercept('https://api.shop.test', fixtures='shop.yaml') as mock: m = mock.auth"
    exec(code, {"intercept": campaign_mock.intercept}, found)
    assert found["m"] == ("shop", "shop-secret")


def test_an_absolute_path_is_taken_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(FIXTURES)
    assert os.path.isabs(tmp_path / "shop.yaml")
    with campaign_mock.intercept("https://api.shop.test", fixtures=tmp_path / "shop.yaml") as m:
        assert m.auth == ("shop", "shop-secret")
