"""The same traffic, three ways, the same verdicts: headless Chromium's page session through
the proxy (judged live), the proxy's recording (`judge FILE`) and Chromium's own HAR of it
(`judge FILE`), rule for rule (design test 4 of docs/design/proxy-and-judge.md)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.contract.conftest import served
from tests.contract.variants import VARIANTS

from .proxying import THIS_PYTHON, served_proxy
from .test_har import browse_the_session

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def _statuses(report: Path) -> dict[str, str]:
    return {r["id"]: r["status"] for r in json.loads(report.read_text("utf-8"))["rules"]}


def _judged(file: Path, out: Path) -> dict[str, str]:
    done = subprocess.run(
        [*THIS_PYTHON, "judge", str(file), "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    return _statuses(out)


def _three_ways(browser: Browser, server: str, tmp_path: Path) -> list[dict[str, Any]]:
    har, record, live = tmp_path / "page.har", tmp_path / "session.jsonl", tmp_path / "live.json"
    options = ("--listen", "127.0.0.1:0", "--record", str(record), "--json", str(live))
    with served_proxy("--to", server, *options) as proxy:
        browse_the_session(browser, proxy.url, har, "demo", "demo-password")
        proxy.stop()
    return [
        _statuses(live),
        _judged(record, tmp_path / "record.json"),
        _judged(har, tmp_path / "har.json"),
    ]


def test_a_browser_session_gets_the_same_verdicts_live_recorded_and_from_its_har(
    browser: Browser,
    tmp_path: Path,
) -> None:
    with served() as url:
        live, recorded, har = _three_ways(browser, url, tmp_path)
    assert live == recorded == har
    assert "fail" not in live.values()
    assert {"V-1", "V-2", "V-4", "R-2", "R-3", "Q-1p", "Q-2p"} <= {
        rule for rule, status in live.items() if status == "pass"
    }


def test_a_broken_variant_fails_the_same_rule_all_three_ways(
    browser: Browser,
    tmp_path: Path,
) -> None:
    variant = next(v for v in VARIANTS if v.name == "v_bare_404")
    with served(variant.apply) as url:
        live, recorded, har = _three_ways(browser, url, tmp_path)
    assert live == recorded == har
    assert live["V-2"] == "fail"  # the 404 of the deleted campaign is no envelope
