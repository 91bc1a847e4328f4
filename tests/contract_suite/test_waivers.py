"""Waivers: failures turn waived; expired waivers and waived rules that pass are flagged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from campaign_contract.engine.outcome import RuleVerdict, Status
from campaign_contract.engine.waiver import WaiverError, apply_waivers, load_waivers, parse_waivers

TODAY = dt.date(2026, 6, 1)


def waivers(rule: str = "V-4", expires: str = "2026-12-31") -> list:  # type: ignore[type-arg]
    return parse_waivers([{"rule": rule, "reason": "vendor ticket 7", "expires": expires}])


def test_a_failure_is_waived() -> None:
    verdict = RuleVerdict("V-4", Status.FAIL, "boom")
    assert apply_waivers([verdict], waivers(), TODAY) == []
    assert verdict.status is Status.WAIVED and verdict.waiver_reason == "vendor ticket 7"
    assert verdict.ok


def test_a_whole_rule_waiver_covers_its_parts() -> None:
    verdict = RuleVerdict("V-1p", Status.FAIL)
    apply_waivers([verdict], waivers("V-1"), TODAY)
    assert verdict.status is Status.WAIVED


def test_an_expired_waiver_does_not_apply_and_is_flagged() -> None:
    verdict = RuleVerdict("V-4", Status.FAIL)
    notes = apply_waivers([verdict], waivers(expires="2026-05-31"), TODAY)
    assert verdict.status is Status.FAIL
    assert notes and "expired on 2026-05-31" in notes[0]


def test_a_waived_rule_that_passes_is_flagged() -> None:
    verdict = RuleVerdict("V-4", Status.PASS)
    notes = apply_waivers([verdict], waivers(), TODAY)
    assert verdict.status is Status.PASS
    assert notes == ["V-4: waived, but passes: remove the waiver (vendor ticket 7)"]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"rule": "V-4"}, "expected a list"),
        ([{"rule": "Z-9", "reason": "r", "expires": "2026-01-01"}], "[0].rule"),
        ([{"rule": "V-4", "expires": "2026-01-01"}], "[0].reason: is required"),
        ([{"rule": "V-4", "reason": "r", "expires": "soon"}], "[0].expires"),
        ([{"rule": "V-4", "reason": "r", "expires": "2026-01-01", "owner": "x"}], "owner"),
    ],
)
def test_bad_waivers_are_one_line_errors(data: object, words: str) -> None:
    with pytest.raises(WaiverError) as caught:
        parse_waivers(data, "w.yaml")
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_waivers_load_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text("- rule: V-4\n  reason: known\n  expires: 2026-12-31\n", "utf-8")
    assert load_waivers(path)[0].expires == dt.date(2026, 12, 31)
