"""`Verdicts` judges recorded answers with no network and no run: the no-IO half of `Probe`
that a passive source of traffic (issue 20's proxy and `judge FILE`) feeds."""

from __future__ import annotations

import json

import pytest

from campaign_contract.engine.outcome import Status
from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges.answers import judge_campaign
from campaign_contract.judges.auth import expect_unauthorized
from campaign_contract.transport.exchange import Exchange


def _answer(status: int, body: object, *headers: tuple[str, str]) -> Exchange:
    return Exchange(
        "GET",
        "http://server.test/campaign/7",
        {},
        status=status,
        response_headers=[("Content-Type", "application/json"), *headers],
        response_body=json.dumps(body).encode(),
    )


def test_a_recorded_401_without_the_challenge_fails_v4_with_that_exchange_alone() -> None:
    verdicts = Verdicts("observed.auth", ("V-4", "V-5"), {"V-4", "V-5"})
    refused = _answer(401, {"success": False, "data": {"error": "no", "code": "unauthorized"}})
    expect_unauthorized(verdicts, refused, "GET /campaign/7")
    verdicts.answered = True
    results = {r.rule: r for r in verdicts.results()}
    assert results["V-5"].status is Status.PASS
    assert results["V-4"].status is Status.FAIL
    assert "WWW-Authenticate: Basic" in results["V-4"].message
    assert results["V-4"].findings[0].evidence == (refused,)
    assert results["V-4"].cells == {
        "V-4.failures-keep-the-envelope": frozenset({(("status", "401"),)})
    }


def test_a_recorded_campaign_answer_is_judged_by_the_schema_judge() -> None:
    verdicts = Verdicts("observed.campaign", ("V-2", "R-2", "R-3", "R-3p"), {"R-2", "R-3"})
    campaign = {"id": 7, "name": "x", "domain": 1, "list": 2, "state": "LOST", "when": "soon"}
    judge_campaign(verdicts, _answer(200, {"success": True, "data": campaign}), 7)
    verdicts.answered = True
    results = {r.rule: r for r in verdicts.results()}
    assert set(results) == {"R-2", "R-3"}, "only the selected parts are reported"
    assert results["R-2"].status is Status.FAIL
    assert results["R-2"].findings[0].evidence[0].status == 200


def test_without_an_envelope_seen_nothing_passes() -> None:
    verdicts = Verdicts("observed.nothing", ("V-2",), {"V-2"})
    assert [r.status for r in verdicts.results()] == [Status.NOT_EXERCISED]


def test_a_finding_on_an_undeclared_part_is_a_suite_bug() -> None:
    verdicts = Verdicts("observed.one", ("V-2",), {"V-2"})
    with pytest.raises(ValueError, match="does not declare rule V-4"):
        verdicts.fail("V-4", "nope")
