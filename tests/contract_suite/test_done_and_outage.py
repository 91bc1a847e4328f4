"""M-4's DONE and C-4's outage checks: a fast server is judged, backoff is judged as a trend,
and `limits.callback_outage` is validated and may switch the outage off."""

from __future__ import annotations

import json
import random
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from campaign_contract.config.model import ConfigError, parse_config
from campaign_contract.config.scaffold import CLOCK_LAG, config_from_state, fetch_mock_state
from campaign_contract.engine.outcome import Status
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection
from campaign_contract.judges.retries import flat
from campaign_contract.report.evidence import failure_text
from serving import served_mock

from .conftest import config_document

SPEED = 3000
#: Every message's outcome at once: a send is DONE before the suite's first GET.
INSTANT = {"delays": {"submitted": 0, "final": 0, "opened": 0, "clicked": 0}}
OUTAGE_CHECKS = ("callbacks.an_outage_loses_no_event", "callbacks.retry_intervals_grow")


def test_callback_outage_defaults_to_90_s_and_must_stay_inside_the_hour() -> None:
    assert parse_config(config_document(), environ={}).limits.callback_outage == 90
    limits = {"request_timeout": 2, "callback_outage": 0}
    assert parse_config(config_document(limits=limits), environ={}).limits.callback_outage == 0
    for bad in (3600, -1, "soon"):
        with pytest.raises(ConfigError, match=r"limits\.callback_outage"):
            parse_config(config_document(limits={"callback_outage": bad}), environ={})


def _intervals(kind: str, rng: random.Random, count: int = 4) -> list[float]:
    caps = [30.0 * 2**k for k in range(count)]
    if kind == "full jitter":
        return [rng.uniform(0, cap) for cap in caps]
    if kind == "exponential":
        return [cap * rng.uniform(0.9, 1.1) for cap in caps]
    return [120 * rng.uniform(0.85, 1.15) for _cap in caps]  # constant, with timing noise


def test_backoff_is_judged_as_a_trend_that_full_jitter_passes() -> None:
    rng = random.Random(5)
    draws = 5000
    jitter_flat = sum(flat(_intervals("full jitter", rng)) for _ in range(draws))
    assert jitter_flat / draws < 0.01  # one sequence; the check fails only if all are flat
    assert not any(flat(_intervals("exponential", rng)) for _ in range(draws))
    constant_flat = sum(flat(_intervals("constant", rng)) for _ in range(draws))
    assert constant_flat / draws > 0.99
    assert not flat([120, 60, 30, 15]) and flat([60, 58, 55, 50])


@pytest.fixture(scope="module")
def instant_mock() -> Iterator[str]:
    """A mock whose sends end before anyone can see them SENDING."""
    with served_mock("--speed", str(SPEED), "--window", "1", "--seed", "3") as url:
        request = urllib.request.Request(
            f"{url}/_mock/settings",
            data=json.dumps(INSTANT).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
        yield url


def _config(url: str, tmp_path: Path, **limits: Any) -> Any:
    document = config_from_state(fetch_mock_state(url), url)
    document["ledger"] = str(tmp_path / "ledger.json")
    document["limits"] = {
        "request_timeout": 5,
        "rate_limit": 0,
        "cleanup_wait": 30,
        "callback_wait": 20,
        "clock_speed": SPEED,
        "clock_skew": 120,
        "clock_lag": CLOCK_LAG,  # what `init --from-mock` writes: a braked mock's lag
        **limits,
    }
    return parse_config(document, environ={})


def test_a_send_seen_done_at_once_is_judged_not_left_unexercised(
    instant_mock: str, tmp_path: Path
) -> None:
    report = run_selection(
        _config(instant_mock, tmp_path),
        selection=Selection(only=("M-4", "C-4"), skip=("robustness", "schema")),
        seed=3,
    )
    verdicts = {v.rule: v for v in report.verdicts}
    failed = [failure_text(v) for v in verdicts.values() if v.status is Status.FAIL]
    assert not failed, "\n\n".join(failed)
    results = {(r.rule, r.check): r for v in report.verdicts for r in v.results}
    # Opens and clicks after DONE (callbacks.known_opens_and_clicks_are_reported) are judged in
    # test_engagement.py: here every open comes at its delivery, so none comes after DONE.
    after_done = "callbacks.known_opens_and_clicks_are_reported"
    mine = [
        r
        for (rule, name), r in results.items()
        if rule == "M-4" and "callbacks." in name and name != after_done
    ]
    assert {
        "callbacks.done_only_after_every_outcome",
        "callbacks.a_down_receiver_does_not_hold_done",
    } <= {r.check for r in mine}
    assert {r.check: r.status for r in mine} == {r.check: Status.PASS for r in mine}, {
        r.check: r.message for r in mine
    }


def test_callback_outage_0_skips_the_outage(instant_mock: str, tmp_path: Path) -> None:
    report = run_selection(
        _config(instant_mock, tmp_path, callback_outage=0),
        selection=Selection(only=("C-4",), skip=("robustness", "schema", "stateful")),
        seed=3,
    )
    results = {r.check: r for v in report.verdicts if v.rule == "C-4" for r in v.results}
    for name in OUTAGE_CHECKS:
        assert results[name].status is Status.NOT_EXERCISED
        assert "limits.callback_outage is 0" in results[name].message
    assert results[
        "callbacks.failed_callbacks_are_retried_and_acknowledged_ones_are_not"
    ].status is (Status.PASS)
