"""The run report: what was run against what, and a verdict per rule part."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from campaign_contract import rules
from campaign_contract.cleanup import CleanupResult
from campaign_contract.outcome import RuleVerdict, Status


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

    @property
    def ok(self) -> bool:
        """True only if the run was whole and every selected rule part passed or was waived."""
        return self.stopped is None and all(v.ok for v in self.verdicts if v.selected)

    def counts(self) -> dict[str, int]:
        counted = Counter(v.status.value for v in self.verdicts if v.selected)
        return {status.value: counted.get(status.value, 0) for status in Status}

    def by_level(self) -> dict[rules.Level, list[RuleVerdict]]:
        grouped: dict[rules.Level, list[RuleVerdict]] = {level: [] for level in rules.Level}
        for verdict in self.verdicts:
            grouped[rules.part(verdict.rule).level].append(verdict)
        return grouped
