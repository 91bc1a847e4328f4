"""Judging traffic the suite did not drive (a recording, a HAR file, the proxy's relay) by the
judges `run` uses: each exchange, in completion order, by `judges/` (docs/design/
proxy-and-judge.md, section 2.1), with the campaigns it showed remembered for the next ones.

What a passive judge cannot know is not judged: a PUT's kept fields only against a campaign
seen before it started, routing only where every server must route alike (`classify`), a
missing credential only when the config says the server asks for one. So a FAIL here is one
every conforming server would avoid on the same traffic.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from campaign_contract._version import __version__
from campaign_contract.config.model import Config
from campaign_contract.engine.outcome import CheckResult
from campaign_contract.engine.run_report import ClientNote, RunMeta, RunReport
from campaign_contract.engine.selection import Selection, resolve
from campaign_contract.engine.verdict import judge as judge_parts
from campaign_contract.engine.verdicts import Verdicts
from campaign_contract.judges.answers import JUDGED, encoding_part, judge_exchange, rules_for_fields
from campaign_contract.judges.auth import expect_unauthorized
from campaign_contract.judges.requests import Sent, judge_body
from campaign_contract.judges.routes import classify
from campaign_contract.judges.traffic import after_sent, started_early, success_without_campaign
from campaign_contract.judges.wire import accept_rule, judge_answer
from campaign_contract.spec import openapi_sha256
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.redact import SESSION_COOKIE
from campaign_contract.transport.traffic import Seen

#: The one passive judge's name, as reports show it beside `run`'s checks.
JUDGE = "observed.traffic"
#: The rule parts one exchange can show: the generated requests' (the same judge), V-1 by the
#: request's `Accept`, and V-5 (a request without credentials is not served).
PARTS: tuple[str, ...] = tuple(dict.fromkeys((*JUDGED, "V-1", "V-1p", "V-5", "M-1", "M-4", "M-5")))
#: Routes a client may call without credentials (V-5).
PUBLIC = frozenset({"/login/"})


class _Tapped(Verdicts):
    """A `Verdicts` that also keeps every finding of the exchange being judged (the report
    keeps the first few per rule part; the proxy's line tells each exchange's own)."""

    def __init__(self, selected: Collection[str]) -> None:
        super().__init__(JUDGE, PARTS, selected)
        self.latest: list[tuple[str, str]] = []

    def fail(
        self,
        rule: str,
        message: str,
        exchange: Exchange | None = None,
        *,
        evidence: Sequence[Exchange] | None = None,
    ) -> None:
        if self.wants(rule):
            self.latest.append((rule, message))
        super().fail(rule, message, exchange, evidence=evidence)


@dataclass(frozen=True, slots=True)
class Judged:
    """What one exchange showed: its findings (rule, message); `skipped` says why it was not
    judged at all (None: judged); `client`, what its request relies on or breaks."""

    findings: tuple[tuple[str, str], ...] = ()
    skipped: str | None = None
    client: ClientNote | None = None


@dataclass
class TrafficJudge:
    """Feed it exchanges in completion order; `results()` are the run's check results."""

    selected: Collection[str]
    #: Whether the server asks for credentials (the config's `auth.method` is not `none`);
    #: None: not known, so a request sent without any is not judged by V-5.
    credentials_required: bool | None = None
    verdicts: _Tapped = field(init=False)
    #: Campaign id -> its last view and when the answer that showed it ended.
    campaigns: dict[int, tuple[dict[str, Any], float]] = field(default_factory=dict)
    judged: int = 0
    #: The mock's control API and other paths no rule speaks about.
    left_out: int = 0
    #: What the client's requests rely on or break, alike ones counted together.
    client: dict[tuple[str, str, frozenset[str]], ClientNote] = field(default_factory=dict)
    #: Seconds the server's clock may be ahead of this machine's, for a server whose clock
    #: runs at real time (the config's `limits.clock_skew` at `clock_speed` 1); None: its
    #: clock is not known, so no answer is judged against it (M-4).
    clock_skew: float | None = None
    #: Whether an answer was judged against the server's clock (M-4).
    timed: bool = False
    #: The config's `limits.send_wait`: a campaign seen SENDING longer is told (never failed:
    #: how long a send takes is the server's to choose, M-4.sending-ends); None: not told.
    send_wait: float | None = None
    #: Campaign id -> when an answer first showed it SENDING, and last did.
    sending: dict[int, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.verdicts = _Tapped(self.selected)

    @classmethod
    def of(cls, selected: Collection[str], config: Config | None) -> TrafficJudge:
        """The judge `proxy` and `judge` use: what the config (None: none given) says of the
        server: whether it asks for credentials (V-5), its clock when it runs at real time
        (M-4's start), how long a send may take before it is told (`limits.send_wait`)."""
        if config is None:
            return cls(selected)
        limits = config.limits
        return cls(
            selected,
            credentials_required=config.auth.method != "none",
            clock_skew=limits.clock_skew if limits.clock_speed == 1.0 else None,
            send_wait=limits.send_wait,
        )

    def feed(self, seen: Seen) -> Judged:
        v = self.verdicts
        v.latest = []
        exchange = seen.exchange
        parts = urlsplit(exchange.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.path.startswith("/_mock/"):
            self.left_out += 1
            return Judged(skipped="the mock's control API: no rule speaks about it")
        self.judged += 1
        if exchange.answered and not exchange.truncated and exchange.success() is not None:
            v.answered = True
        said = self._judge(exchange, path, seen)
        self._remember(exchange, seen.answered_at)
        return Judged(findings=tuple(v.latest), client=said)

    def _judge(self, exchange: Exchange, path: str, seen: Seen) -> ClientNote | None:
        """The server's answer, by every judge that applies; what the request relies on."""
        v = self.verdicts
        method = exchange.method
        rule = accept_rule(exchange)
        if rule is not None and method != "HEAD" and exchange.answered and exchange.response_body:
            v.expect_json(rule, exchange)  # V-1 by the request's Accept (V-2: judge_answer)
        route = classify(method, path)
        if not judge_answer(v, exchange):
            success_without_campaign(v, exchange, route.template, route.status)
            return None
        if route.status is not None or route.template is None:
            if route.status is not None and route.certain:
                if method == "HEAD":
                    v.expect_status("V-4", exchange, route.status)
                else:
                    v.expect_rejected(exchange, route.status)
            return None
        if exchange.status == 401:
            expect_unauthorized(v, exchange, f"{method} {path}")
            return None
        if (
            self.credentials_required
            and route.template not in PUBLIC
            and method != "OPTIONS"
            and not _has_credentials(exchange)
        ):
            expect_unauthorized(v, exchange, f"{method} {path} without credentials")
            return None
        body = exchange.request_body or None
        sent = Sent(method, path, body, exchange.request_header("Content-Type"))
        judge_body(sent, route.template, method)
        said = self._note_client(sent, method)
        ident = int(route.ident) if route.ident is not None and route.ident.isdigit() else None
        if route.ident is not None and exchange.status == 404:
            # A missing id (V-4 step 4): whether it exists is not known here (another client
            # may have deleted it), so only the 404's shape is judged.
            v.expect_rejected(exchange, 404)
            return said
        before = self._before(ident, seen.sent_at)
        judge_exchange(v, sent, exchange, before, ident, server_moves=True)
        if before is not None and exchange.success() is True:
            after_sent(v, before, exchange)
        if exchange.success() is True and self.clock_skew is not None:
            self.timed |= started_early(v, exchange, seen.answered_at, self.clock_skew)
        return said

    def _note_client(self, sent: Sent, method: str) -> ClientNote | None:
        """A request every conforming server must refuse (`violation`), or one only a lenient
        server accepts (`warning`: "relies on leniency", readings.relaxed), counted by kind."""
        if not sent.known or not sent.problems:
            return None
        severity = "violation" if sent.invalid else "warning"
        problems = sent.lenient_problems if sent.invalid else sent.problems
        names = frozenset(p.split(":", 1)[0].strip() for p in problems)
        rule = min(rules_for_fields(names, sent, method) or {encoding_part(sent)})
        lead = (
            "no server may be sent this"
            if sent.invalid
            else "relies on a lenient server (a conforming one may refuse it)"
        )
        message = f"{method} {sent.path}: {lead}: {'; '.join(problems[:3])}"
        key = (severity, rule, names)
        known = self.client.get(key)
        note = ClientNote(rule, severity, known.message if known else message,
                          known.count + 1 if known else 1)  # fmt: skip
        self.client[key] = note
        return ClientNote(rule, severity, message)

    def _before(self, ident: int | None, started: float) -> dict[str, Any] | None:
        """The campaign as last seen by an answer that ended before this request started:
        what a PUT keeps is judged against it (a view racing the request binds nothing)."""
        if ident is None or ident not in self.campaigns:
            return None
        view, seen_at = self.campaigns[ident]
        return view if seen_at <= started else None

    def _remember(self, exchange: Exchange, at: float) -> None:
        if exchange.success() is not True:
            return
        template = classify(exchange.method, urlsplit(exchange.url).path).template
        if template not in ("/campaign", "/campaign/{id}"):
            return
        data = exchange.data()
        ident = data.get("id")
        if not isinstance(ident, int) or isinstance(ident, bool):
            return
        if exchange.method == "DELETE":
            self.campaigns.pop(ident, None)
        else:
            self.campaigns[ident] = (data, at)
        if data.get("state") == "SENDING" and exchange.method != "DELETE":
            first, _last = self.sending.get(ident, (at, at))
            self.sending[ident] = (first, at)
        else:
            self.sending.pop(ident, None)

    def warnings(self) -> list[str]:
        """Sends the traffic saw SENDING past `limits.send_wait`, last seen still SENDING."""
        if self.send_wait is None:
            return []
        return [
            f"campaign {ident} was still SENDING {last - first:.0f} s after an answer first "
            f"showed it SENDING (limits.send_wait {self.send_wait:g} s): M-4 says a send ends "
            "in DONE or ERROR, but how long it takes is the server's to choose, so this is "
            "told, not failed"
            for ident, (first, last) in sorted(self.sending.items())
            if last - first > self.send_wait
        ]

    def results(self) -> list[CheckResult]:
        if not self.timed:
            self.verdicts.unexercised("M-4", NO_START if self.clock_skew is None else NO_SENT)
        return self.verdicts.results(
            None if self.judged else "the traffic held no exchange with the Campaign API"
        )


def _has_credentials(exchange: Exchange) -> bool:
    """HTTP Basic (or any Authorization) or the session cookie (V-5)."""
    if exchange.request_header("Authorization"):
        return True
    cookie = exchange.request_header("Cookie") or ""
    return any(part.strip().startswith(f"{SESSION_COOKIE}=") for part in cookie.split(";"))


#: Why M-4 is not judged on traffic: no clock to judge a start by, or no start seen.
NO_START = (
    "not judged on observed traffic without --config: a `when` is judged against the "
    "server's clock, known only from the config's limits.clock_speed 1 and clock_skew"
)
NO_SENT = "no answer showed a campaign SENDING, DONE or ERROR with a `when` to judge its start by"

#: Why a part no exchange could show is not exercised in an observed report.
NOT_PASSIVE = (
    "not judged on observed traffic: the suite must drive the server for it "
    "(`campaign-contract run`)"
)


def observed_report(
    judge: TrafficJudge,
    callbacks: Sequence[CheckResult],
    *,
    mode: str,
    source: str,
    base_url: str,
    selection: Selection,
    started: dt.datetime,
    clock: float,
    warnings: Sequence[str] = (),
    secrets: frozenset[str] | None = None,
) -> RunReport:
    """The report of observed traffic (its exchanges' and its `callbacks`' verdicts): the
    same verdicts, clause accounts and renderers as a run, marked `mode` (`judge` or
    `proxy`) with its `source`."""
    resolved = resolve(selection, (), ())
    results = [*judge.results(), *callbacks]
    verdicts = judge_parts(results, resolved.left_out, no_check=NOT_PASSIVE)
    told = [*warnings, *judge.warnings()]
    if not judge.judged:
        told.insert(0, "the traffic held no exchange with the Campaign API: nothing was judged")
    if judge.left_out:
        told.append(f"{judge.left_out} exchange(s) with the mock's control API were not judged")
    meta = RunMeta(
        suite_version=__version__,
        openapi_sha256=openapi_sha256(),
        base_url=base_url,
        seed=0,
        level=selection.level,
        only=selection.only,
        skip=selection.skip,
        max_examples=0,
        started=started.isoformat(timespec="seconds"),
        finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        duration_s=round(time.monotonic() - clock, 3),
        run_tag="",
        mode=mode,
        source=source,
    )
    client = sorted(judge.client.values(), key=lambda n: (n.severity != "violation", n.rule))
    return RunReport(meta, verdicts, told, secrets=secrets, client=client)
