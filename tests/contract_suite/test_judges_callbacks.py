"""The A, E and C judges on an observation made by hand: raw callback bodies, the sends they
belong to, a bare `Verdicts`; no receiver, no server, no run. This is what a proxy or a
recording will feed them (docs/design/proxy-and-judge.md), so the judges must need nothing
else."""

from __future__ import annotations

from dataclasses import replace

import pytest

from campaign_contract.config.model import AuthConfig, Config, Contact, ContactList, Domains
from campaign_contract.engine.outcome import CheckResult, Status
from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges import audience, delivery, events, timing
from campaign_contract.judges.callback_form import parse_callback
from campaign_contract.judges.sends import Observation, Report, Send, expected_send
from campaign_contract.transport.received import Answer, Received

RECEIVER = "http://receiver.test"
QUERY = "k=v&x=%20a"
FORM = "application/x-www-form-urlencoded"
#: The server's clock (Unix seconds) when the send started; callbacks come a second after.
START = 1_700_000_000
ALICE = Contact(email="alice@example.test")
BOB = Contact(email="bob@example.test", telephone="+1 555 0100")
LIST = ContactList(1, "test", (ALICE, BOB))
CONFIG = Config(AuthConfig(), Domains(1), (LIST,), payloads=("email", "sms"))


def _send(label: str = "list-1", **changes: object) -> Send:
    send = expected_send(label, LIST, (), CONFIG.payloads)
    send = replace(send, id=7, state="DONE", token=f"run/{label}", **changes)
    send.url = f"{RECEIVER}/cb/{send.token}?{QUERY}"
    return send


class Traffic:
    """Callbacks in arrival order, each a raw form body the server POSTed."""

    def __init__(self) -> None:
        self.reports: list[Report] = []

    def post(
        self,
        send: Send,
        body: str,
        *,
        status: int | None = 200,
        query: str = QUERY,
        latency: float | None = None,
        arrived: float | None = None,
    ) -> Report:
        number = len(self.reports) + 1
        when = next(
            (int(v) for k, _s, v in (p.partition("=") for p in body.split("&")) if k == "when"),
            START,
        )
        received = Received(
            number,
            float(when + 1) if arrived is None else arrived,
            "POST",
            f"/cb/{send.token}?{query}".encode(),
            (("Content-Type", FORM),),
            body.encode(),
            status,
            latency=latency,
        )
        report = Report(received, parse_callback(FORM, body.encode()), send)
        self.reports.append(report)
        return report

    def observation(self, *sends: Send, clock_speed: float = 1.0, **limits: float) -> Observation:
        changed = replace(CONFIG.limits, clock_speed=clock_speed, **limits)
        config = replace(CONFIG, limits=changed)
        return Observation(
            config, RECEIVER, list(sends), self.reports, waited=30.0, ended_at=START + 60.0
        )


def _everything(traffic: Traffic, send: Send) -> None:
    """Every event of the list's three messages, one callback each, in order."""
    traffic.post(send, f"event=submitted&when={START}&email%5B0%5D=alice%40example.test")
    traffic.post(send, f"event=submitted&when={START}&email%5B0%5D=bob%40example.test")
    traffic.post(send, f"event=delivered&when={START + 2}&email%5B0%5D=alice%40example.test")
    traffic.post(send, f"event=bounced&when={START + 2}&email%5B0%5D=bob%40example.test")
    traffic.post(send, f"event=delivered&when={START + 3}&telephone%5B0%5D=%2B15550100")


def _judge(judge: object, found: Observation, *rules: str) -> dict[str, CheckResult]:
    verdicts = Verdicts("observed.callbacks", rules, set(rules))
    verdicts.answered = True
    assert callable(judge)
    judge(verdicts, found, found.sends)
    return {r.rule: r for r in verdicts.results()}


def test_a_conforming_observation_passes_every_judge() -> None:
    send = _send()
    traffic = Traffic()
    _everything(traffic, send)
    found = traffic.observation(send)
    judged = {
        **_judge(audience.audience, found, "A-1"),
        **_judge(audience.payloads_per_address, found, "A-2", "A-2p"),
        **_judge(events.payload_events, found, "E-1"),
        **_judge(events.lifecycle, found, "E-2"),
        **_judge(delivery.posts_to_the_url, found, "C-1"),
        **_judge(delivery.every_event_reported, found, "C-1"),
        **_judge(delivery.bodies, found, "C-2", "C-2p"),
        **_judge(timing.lateness, found, "C-3", "C-3p"),
    }
    assert {rule: r.status for rule, r in judged.items()} == dict.fromkeys(judged, Status.PASS), {
        rule: r.message for rule, r in judged.items()
    }
    assert judged["A-1"].cells["A-1.every-contact-of-the-list"] == {(("audience", "list"),)}
    assert (("channel", "sms"), ("event", "delivered")) in judged["C-1"].cells["C-1.every-event"]


def test_a_send_whose_callbacks_miss_a_contact_fails_a1() -> None:
    send = _send()
    traffic = Traffic()
    traffic.post(send, f"event=submitted&when={START}&email%5B0%5D=alice%40example.test")
    traffic.post(send, f"event=delivered&when={START + 2}&email%5B0%5D=alice%40example.test")
    result = _judge(audience.audience, traffic.observation(send), "A-1")["A-1"]
    assert result.status is Status.FAIL
    assert "1 contact(s) of the audience got no message at all" in result.message
    assert "bob@example.test" in result.message


def test_events_for_a_stranger_fail_a1_with_the_callback_as_evidence() -> None:
    send = _send()
    traffic = Traffic()
    _everything(traffic, send)
    stray = traffic.post(send, f"event=submitted&when={START}&email%5B0%5D=eve%40example.test")
    result = _judge(audience.audience, traffic.observation(send), "A-1")["A-1"]
    assert result.status is Status.FAIL
    assert "email events for eve@example.test, not a contact of the list" in result.message
    (finding,) = result.findings
    assert finding.evidence[-1].request_body == stray.received.body
    assert finding.evidence[-1].url == f"{RECEIVER}/cb/run/list-1?{QUERY}"


def test_delivered_after_bounced_for_one_address_fails_e2() -> None:
    send = _send()
    traffic = Traffic()
    _everything(traffic, send)
    traffic.post(send, f"event=delivered&when={START + 4}&email%5B0%5D=bob%40example.test")
    result = _judge(events.lifecycle, traffic.observation(send), "E-2")["E-2"]
    assert result.status is Status.FAIL
    assert "email message to bob@example.test: both `delivered` and `bounced`" in result.message


def test_a_changed_query_string_fails_c1() -> None:
    send = _send()
    traffic = Traffic()
    _everything(traffic, send)
    traffic.post(
        send, f"event=opened&when={START + 5}&email%5B0%5D=alice%40example.test", query="k=v"
    )
    result = _judge(delivery.posts_to_the_url, traffic.observation(send), "C-1")["C-1"]
    assert result.status is Status.FAIL
    assert f"the query string {QUERY!r} was changed to 'k=v'" in result.message


def _retry_send() -> Send:
    return _send("retry", faults=(Answer(500),))


def test_a_callback_refused_with_500_and_never_sent_again_fails_c4() -> None:
    send = _retry_send()
    traffic = Traffic()
    traffic.post(
        send, f"event=submitted&when={START}&email%5B0%5D=alice%40example.test", status=500
    )
    traffic.post(send, f"event=submitted&when={START}&email%5B0%5D=bob%40example.test")
    result = _judge(delivery.retried_until_acknowledged, traffic.observation(send), "C-4")["C-4"]
    assert result.status is Status.FAIL
    assert "1 event(s) of a callback answered HTTP 500 were never sent again" in result.message
    assert "`submitted` for alice@example.test" in result.message


def test_a_callback_refused_with_500_and_acknowledged_later_passes_c4() -> None:
    send = _retry_send()
    traffic = Traffic()
    body = f"event=submitted&when={START}&email%5B0%5D=alice%40example.test"
    traffic.post(send, body, status=500)
    traffic.post(send, body, status=201)
    result = _judge(delivery.retried_until_acknowledged, traffic.observation(send), "C-4")["C-4"]
    assert result.status is Status.PASS, result.message
    assert (("status", "500"),) in result.cells["C-4.other-status-retried"]
    assert (("status", "201"),) in result.cells["C-4.any-2xx-acknowledges"]


def test_an_event_told_again_after_its_acknowledgement_fails_c4() -> None:
    send = _send()
    traffic = Traffic()
    _everything(traffic, send)
    again = traffic.post(send, f"event=bounced&when={START + 2}&email%5B0%5D=bob%40example.test")
    found = traffic.observation(send, _retry_send())
    result = _judge(delivery.retried_until_acknowledged, found, "C-4")["C-4"]
    assert result.status is Status.FAIL
    assert (
        "`bounced` for bob@example.test was reported again after the receiver acknowledged it"
        in result.message
    )
    assert result.findings[0].evidence[-1].request_body == again.received.body


@pytest.mark.parametrize(
    ("clock_speed", "latency", "binding"),
    [
        (1.0, 0.002, True),
        (1.0, 4.9, True),  # within half of C-4's 10 s: surely in time
        (1.0, 5.1, False),  # may have reached the server past its timeout
        (1.0, 12.0, False),  # past the 10 s: "no answer within 10 s", retried
        (600.0, 0.002, True),  # 1.2 s of the server's clock
        (600.0, 0.3, False),  # 180 s of it: a sped-up server has long given up
    ],
)
def test_only_a_2xx_written_in_time_binds_the_server_not_to_report_again(
    clock_speed: float, latency: float, binding: bool
) -> None:
    """C-4: "no answer within 10 s" is retried, so a 2xx written late (by the server's clock)
    may be followed by the same events; one written well within the 10 s may not."""
    send = _send()
    traffic = Traffic()
    body = f"event=bounced&when={START + 2}&email%5B0%5D=bob%40example.test"
    traffic.post(send, body, status=202, latency=latency)
    traffic.post(send, body, status=200, latency=0.001)
    found = traffic.observation(send, clock_speed=clock_speed)
    result = _judge(delivery.acknowledged_never_again, found, "C-4")["C-4"]
    if binding:
        assert result.status is Status.FAIL, result.message
        assert "acknowledged it with HTTP 202" in result.message
        assert (("status", "202"),) in result.cells["C-4.any-2xx-acknowledges"]
    else:
        assert result.status is not Status.FAIL, result.message
        assert (("status", "202"),) not in result.cells.get("C-4.any-2xx-acknowledges", set())


@pytest.mark.parametrize(
    ("lag", "later", "late"),
    [
        (0.0, 1.5, False),  # 900 s of the server's clock: within 300 + 630
        (0.0, 2.0, True),  # 1200 s: past 930
        (2.0, 2.0, False),  # 1200 s: within 930 + 2 real s at 600x (1200 s)
        (2.0, 3.5, False),  # 2100 s: within 2130
        (2.0, 3.6, True),  # 2160 s: past it
    ],
)
def test_clock_lag_widens_c3_by_its_real_seconds_at_the_clock_speed(
    lag: float, later: float, late: bool
) -> None:
    """A sped-up server's clock is bounded by its earlier callbacks, assuming it ran at
    clock_speed since; `limits.clock_lag` real seconds of falling behind are forgiven."""
    send = _send()
    traffic = Traffic()
    body = f"event=submitted&when={START}&email%5B0%5D=alice%40example.test"
    traffic.post(send, body, arrived=float(START))
    traffic.post(send, body.replace("alice", "bob"), arrived=START + later)
    found = traffic.observation(send, clock_speed=600.0, clock_skew=630.0, clock_lag=lag)
    result = _judge(timing.lateness, found, "C-3", "C-3p")["C-3"]
    assert (result.status is Status.FAIL) is late, result.message
    if late:
        assert f"came at least {later * 600:.0f} s after its `when`" in result.message
        assert ("limits.clock_lag" in result.message) is bool(lag), result.message
