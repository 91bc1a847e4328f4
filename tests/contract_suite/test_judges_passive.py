"""The judges of `judges/` on recorded exchanges, with no network and no run: the same
functions `run` calls (the wire, one request's answer, the state machine's model) judge an
exchange a passive source of traffic hands them (issue 20, slice 2)."""

from __future__ import annotations

import json
from typing import Any

from campaign_contract.engine.outcome import CheckResult, Status
from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges.answers import JUDGED, judge_exchange
from campaign_contract.judges.machine import (
    expect,
    judge_outcome,
    judge_transition,
    possible_states,
)
from campaign_contract.judges.requests import Sent, judge_body
from campaign_contract.judges.routes import classify
from campaign_contract.judges.wire import accept_rule, judge_accept, judge_answer
from campaign_contract.transport.exchange import Exchange

FORM = "application/x-www-form-urlencoded"
CAMPAIGN: dict[str, Any] = {
    "id": 7,
    "name": "Winter sale",
    "domain": 1,
    "list": 2,
    "segments": [],
    "state": "DRAFT",
    "when": None,
    "event_callback": None,
}
MACHINE = ("M-1", "M-2", "M-3", "M-4", "M-5", "R-2", "R-3", "Q-4", "Q-5p", "Q-6s")


def _exchange(method: str, path: str, status: int | None, body: object = None) -> Exchange:
    return Exchange(
        method,
        f"http://server.test{path}",
        {},
        status=status,
        response_headers=[("Content-Type", "application/json")] if body is not None else [],
        response_body=json.dumps(body).encode() if body is not None else b"",
        error=None if status is not None else "connection reset by peer",
    )


def _results(verdicts: Verdicts) -> dict[str, CheckResult]:
    verdicts.answered = True
    return {r.rule: r for r in verdicts.results()}


def _failed(verdicts: Verdicts) -> set[str]:
    return {rule for rule, r in _results(verdicts).items() if r.status is Status.FAIL}


def _put(body: bytes) -> Sent:
    sent = Sent("PUT", "/campaign/7", body, FORM)
    judge_body(sent, "/campaign/{id}", "PUT")
    return sent


# The wire (V-2, V-4) ---------------------------------------------------------------------


def test_a_500_fails_v4_and_its_broken_envelope_v2_with_that_exchange_as_evidence() -> None:
    verdicts = Verdicts("observed.wire", ("V-2", "V-4"), {"V-2", "V-4"})
    answer = _exchange("GET", "/campaign/7", 500, {"error": "boom"})
    assert judge_answer(verdicts, answer) is False
    results = _results(verdicts)
    assert results["V-4"].status is Status.FAIL
    assert results["V-4"].message.startswith("a 500")
    assert results["V-4"].findings[0].evidence == (answer,)
    assert results["V-2"].status is Status.FAIL, "a 5xx's body is judged as any other"


def test_a_dropped_connection_fails_v4_and_an_envelope_passes_both() -> None:
    dropped = Verdicts("observed.wire", ("V-2", "V-4"), {"V-2", "V-4"})
    assert judge_answer(dropped, _exchange("GET", "/campaign/7", None)) is False
    assert _failed(dropped) == {"V-4"}
    fine = Verdicts("observed.wire", ("V-2", "V-4"), {"V-2", "V-4"})
    answer = _exchange("GET", "/campaign/7", 200, {"success": True, "data": CAMPAIGN})
    assert judge_answer(fine, answer) is True
    assert _failed(fine) == set()


def test_an_html_page_for_accept_json_fails_v1_by_the_part_its_accept_names() -> None:
    page = Exchange(
        "GET",
        "http://server.test/campaign/7",
        {"Accept": "application/json"},
        status=200,
        response_headers=[("Content-Type", "text/html")],
        response_body=b"<html>campaign 7</html>",
    )
    rule = accept_rule(page)
    assert rule == "V-1"
    verdicts = Verdicts("observed.accept", ("V-1", "V-1p", "V-2"), {"V-1", "V-1p", "V-2"})
    assert judge_accept(verdicts, rule, page, "GET /campaign/7") is False
    assert _failed(verdicts) == {"V-1"}
    bare = Exchange("GET", "http://server.test/campaign/7", {})
    assert accept_rule(bare) == "V-1p"
    assert accept_rule(Exchange("GET", "http://server.test/", {"accept": "text/html"})) is None


# One request's answer (`judge_exchange`: V-3, V-4, R-2/R-3, Q, M-2) ----------------------


def test_a_valid_put_answered_with_the_campaign_it_asked_for_passes_every_part() -> None:
    verdicts = Verdicts("observed.exchange", JUDGED, set(JUDGED))
    sent = _put(b"name=Spring+sale")
    changed = {**CAMPAIGN, "name": "Spring sale"}
    answer = _exchange("PUT", "/campaign/7", 200, {"success": True, "data": changed})
    assert judge_exchange(verdicts, sent, answer, CAMPAIGN, 7) is True
    assert _failed(verdicts) == set()


def test_a_put_that_loses_a_field_it_did_not_name_fails_q5p() -> None:
    verdicts = Verdicts("observed.exchange", JUDGED, set(JUDGED))
    sent = _put(b"name=Spring+sale")
    lost = {**CAMPAIGN, "name": "Spring sale", "list": 9}
    answer = _exchange("PUT", "/campaign/7", 200, {"success": True, "data": lost})
    judge_exchange(verdicts, sent, answer, CAMPAIGN, 7)
    results = _results(verdicts)
    assert _failed(verdicts) == {"Q-5p"}
    assert "`list`" in results["Q-5p"].message
    assert results["Q-5p"].findings[0].evidence == (answer,)


def test_a_put_answered_500_fails_v4_and_is_judged_no_further() -> None:
    verdicts = Verdicts("observed.exchange", JUDGED, set(JUDGED))
    answer = _exchange("PUT", "/campaign/7", 500, {"success": False, "data": {"error": "x"}})
    assert judge_exchange(verdicts, _put(b"name=Spring+sale"), answer, CAMPAIGN, 7) is False
    assert _failed(verdicts) == {"V-4"}


def test_an_invalid_request_accepted_fails_v3_and_the_rule_of_its_field() -> None:
    verdicts = Verdicts("observed.exchange", JUDGED, set(JUDGED))
    sent = _put(b"name=" + b"n" * 256)  # at most 255 characters
    assert sent.invalid
    long = {**CAMPAIGN, "name": "n" * 256}
    answer = _exchange("PUT", "/campaign/7", 200, {"success": True, "data": long})
    judge_exchange(verdicts, sent, answer, CAMPAIGN, 7)
    assert _failed(verdicts) == {"V-3", "Q-4"}


def test_an_id_that_is_no_positive_integer_is_a_404_with_the_envelope_and_its_cell() -> None:
    verdicts = Verdicts("observed.exchange", JUDGED, set(JUDGED))
    sent = Sent("GET", "/campaign/abc", None, None)
    judge_body(sent, "/campaign/{id}", "GET")
    refused = {"success": False, "data": {"error": "no such path", "code": "not_found"}}
    judge_exchange(verdicts, sent, _exchange("GET", "/campaign/abc", 404, refused), None, None)
    results = _results(verdicts)
    assert _failed(verdicts) == set()
    assert results["V-4"].cells == {
        "V-4.failures-keep-the-envelope": frozenset({(("status", "404"),)})
    }
    routed = Verdicts("observed.exchange", JUDGED, set(JUDGED))
    answer = _exchange("GET", "/campaign/abc", 200, {"success": True, "data": CAMPAIGN})
    judge_exchange(routed, sent, answer, None, None)
    assert _failed(routed) == {"V-3"}, "a success for a path no server may route"


def test_routes_classify_any_request_by_v4_step_1() -> None:
    assert classify("GET", "/campaign/7/").status is None
    assert classify("GET", "/campaign/abc").status == 404
    assert classify("GET", "/campaigns").status == 404
    assert classify("POST", "/campaign/7").status == 405
    assert classify("GET", "/campaign?x=1").status == 405
    assert classify("GET", "/campaign/007").certain is False
    assert classify("POST", "/login").certain is False


# The state machine (M-1, M-5) -------------------------------------------------------------


def test_a_put_answered_200_on_a_campaign_last_seen_sending_fails_m5() -> None:
    verdicts = Verdicts("observed.machine", MACHINE, set(MACHINE))
    expected = expect(current="SENDING", target="SENDING", when=1, name_ok=True, segments_ok=True)
    sending = {**CAMPAIGN, "state": "SENDING", "when": 1}
    answer = _exchange("PUT", "/campaign/7", 200, {"success": True, "data": sending})
    assert judge_outcome(verdicts, expected, answer) is False
    results = _results(verdicts)
    assert _failed(verdicts) == {"M-5"}
    assert "expected conflict, got success" in results["M-5"].message
    assert results["M-5"].findings[0].evidence == (answer,)


def test_a_conflict_where_the_model_expects_one_passes() -> None:
    verdicts = Verdicts("observed.machine", MACHINE, set(MACHINE))
    expected = expect(current="DONE", target="DRAFT", when=1, name_ok=True, segments_ok=True)
    refused = {"success": False, "data": {"error": "sent", "code": "conflict"}}
    assert judge_outcome(verdicts, expected, _exchange("PUT", "/campaign/7", 200, refused)) is False
    assert _failed(verdicts) == set()


def test_a_campaign_seen_done_then_ready_fails_m1() -> None:
    verdicts = Verdicts("observed.machine", MACHINE, set(MACHINE))
    ready = {**CAMPAIGN, "state": "READY", "when": 1}
    answer = _exchange("GET", "/campaign/7", 200, {"success": True, "data": ready})
    assert judge_transition(verdicts, possible_states("DONE", 1, 2_000_000_000), answer) is None
    results = _results(verdicts)
    assert _failed(verdicts) == {"M-1"}
    assert results["M-1"].message == "state is READY, the model says DONE"


def test_a_ready_campaign_past_its_when_may_be_seen_sending_or_done_not_scheduled() -> None:
    moves = possible_states("READY", 100, 200)
    assert moves == {"READY", "SENDING", "DONE", "ERROR"}
    assert possible_states("READY", 300, 200) == {"READY"}, "its time has not come"
    assert possible_states("SCHEDULED", 100, 200) == {"SCHEDULED"}, "M-4: SCHEDULED stays"
    for state, failed in (("DONE", set()), ("SENDING", set()), ("SCHEDULED", {"M-1"})):
        verdicts = Verdicts("observed.machine", MACHINE, set(MACHINE))
        seen = {**CAMPAIGN, "state": state, "when": 100}
        answer = _exchange("GET", "/campaign/7", 200, {"success": True, "data": seen})
        judge_transition(verdicts, moves, answer)
        assert _failed(verdicts) == failed, state


def test_a_write_seen_in_between_explains_the_step() -> None:
    verdicts = Verdicts("observed.machine", MACHINE, set(MACHINE))
    scheduled = {**CAMPAIGN, "state": "SCHEDULED", "when": 100}
    answer = _exchange("GET", "/campaign/7", 200, {"success": True, "data": scheduled})
    assert judge_transition(verdicts, {"DRAFT"}, answer, writes=("SCHEDULED",)) == "SCHEDULED"
    assert _failed(verdicts) == set()
