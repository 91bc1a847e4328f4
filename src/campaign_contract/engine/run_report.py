"""The run report: what was run against what, and a verdict per rule part."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from campaign_contract.coverage import rules
from campaign_contract.engine.cleanup import CleanupResult
from campaign_contract.engine.outcome import RuleVerdict, Status


@dataclass(frozen=True, slots=True)
class RunMeta:
    """Everything needed to reproduce the run."""

    suite_version: str
    openapi_sha256: str | None
    base_url: str
    seed: int
    level: str
    only: tuple[str, ...]
    skip: tuple[str, ...]
    max_examples: int
    started: str
    finished: str
    duration_s: float
    run_tag: str
    #: `run` (the suite drove the server), `proxy` (it judged live traffic it relayed) or
    #: `judge` (it judged a recording or a HAR file): observed verdicts rest on what the
    #: traffic happened to show, so a part it did not reach is "not exercised", never failed.
    mode: str = "run"
    #: What was judged in the observed modes: the proxy's `--to`, or the file.
    source: str = ""

    @property
    def observed(self) -> bool:
        return self.mode != "run"

    @property
    def target(self) -> str:
        """What the report is about, in a few words."""
        if self.mode == "judge":
            return f"traffic recorded in {self.source}" + (
                f" ({self.base_url})" if self.base_url else ""
            )
        if self.mode == "proxy":
            return f"live traffic to {self.source or self.base_url}"
        return self.base_url


#: `RunContext.shared` key under which the callbacks layer leaves its `CallbackLog`.
CALLBACK_LOG = "report.callback_log"


@dataclass(frozen=True, slots=True)
class SeenCallback:
    """One callback that reached the suite's receiver, as the timeline picture draws it."""

    #: Real seconds after the sends were posted.
    arrived: float
    when: int | None
    #: The event of each message it reports (empty: unreadable).
    events: tuple[str, ...]
    send: str
    #: What the receiver answered (None: kept unanswered).
    status: int | None
    #: Its send's receiver refused connections at first (C-4's refused send): every callback
    #: of it came after a refusal, so C-3 does not judge it.
    held_back: bool = False


@dataclass(frozen=True, slots=True)
class CallbackLog:
    """Every callback the run's receiver got, to draw over time against C-3's bound."""

    #: time.time() just before the first send was posted.
    posted: float
    #: limits.clock_speed and limits.clock_skew: how server time relates to real time.
    speed: float
    skew: float
    callbacks: tuple[SeenCallback, ...]
    #: C-3: seconds (server time) a callback may come after its events.
    bound: float = 300.0
    #: limits.clock_lag at clock_speed: server seconds a sped-up clock may have fallen behind.
    lag: float = 0.0

    @property
    def allowed(self) -> float:
        """Server seconds after its `when` past which the suite fails a callback (C-3)."""
        return self.bound + self.skew + self.lag

    def server_at_post(self) -> float:
        """A lower bound of the server's clock when the sends were posted (as C-3 reads it).

        Each callback S bounds it: the clock had passed `when_S` by its arrival. A real
        server's clock is also taken to be this machine's (within the skew C-3 allows).
        """
        bounds = [
            c.when - self.speed * c.arrived
            for c in self.callbacks
            if c.when is not None
            and (self.speed != 1.0 or c.when <= self.posted + c.arrived + self.skew)
        ]
        if self.speed == 1.0:
            bounds.append(self.posted)
        return max(bounds, default=self.posted)

    def delays(self) -> list[float | None]:
        """At least how many server seconds each callback came after its `when`."""
        start = self.server_at_post()
        return [
            None if c.when is None else start + self.speed * c.arrived - c.when
            for c in self.callbacks
        ]


@dataclass(frozen=True, slots=True)
class ClientNote:
    """Observed traffic's word on the client, not on the server: a request only a lenient
    server accepts (`warning`: "relies on leniency"), or one no server may be sent
    (`violation`); `count` requests alike, the first one's `message`."""

    rule: str
    severity: str
    message: str
    count: int = 1


@dataclass(slots=True)
class RunReport:
    meta: RunMeta
    verdicts: list[RuleVerdict]
    warnings: list[str] = field(default_factory=list)
    waiver_notes: list[str] = field(default_factory=list)
    cleanup: list[CleanupResult] = field(default_factory=list)
    #: Why the run ended before its last check (deadline, Ctrl-C), or None when it ran whole.
    stopped: str | None = None
    interrupted: bool = False
    #: Preflight failed: the target is unreachable or is not the API; no check ran.
    unreachable: bool = False
    #: The callbacks the receiver got (None: the callbacks layer did not run).
    callbacks: CallbackLog | None = None
    #: Observed modes: what the client's requests rely on or break (never a server verdict).
    client: list[ClientNote] = field(default_factory=list)
    #: The configured password and API key: redacted wherever they appear, while a wrong
    #: credential the suite made up is shown as sent. None: every credential is redacted.
    secrets: frozenset[str] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True only if the run was whole and every selected rule part passed or was waived.

        Observed traffic shows what it happens to hold: there, no selected part failed.
        """
        if self.meta.observed:
            return all(v.status is not Status.FAIL for v in self.verdicts if v.selected)
        return self.stopped is None and all(v.ok for v in self.verdicts if v.selected)

    def counts(self) -> dict[str, int]:
        counted = Counter(v.status.value for v in self.verdicts if v.selected)
        return {status.value: counted.get(status.value, 0) for status in Status}

    def by_level(self) -> dict[rules.Level, list[RuleVerdict]]:
        grouped: dict[rules.Level, list[RuleVerdict]] = {level: [] for level in rules.Level}
        for verdict in self.verdicts:
            grouped[rules.part(verdict.rule).level].append(verdict)
        return grouped
