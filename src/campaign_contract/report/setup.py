"""Setup exchanges: a request several findings start from (the POST that created a campaign,
a login), shown once in the report and referred to from each finding, not repeated in each.

A step is setup when it is a request the suite made to the server under test, it leads up
to a finding (it is not the finding's last step) and more than one finding shows it.
Callbacks the server sent stay in each finding: they are what it is about. A finding's last
step is always shown in full, so every finding keeps a curl command of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from campaign_contract.report.evidence import Shown, Step


@dataclass(slots=True)
class Setup:
    """The setup steps in first-seen order, each with its anchor and the rules that use it."""

    anchors: dict[Step, str] = field(default_factory=dict)
    users: dict[Step, list[str]] = field(default_factory=dict)

    def is_setup(self, finding: Shown, index: int) -> bool:
        """Whether step `index` of `finding` is shown as a reference to the setup section."""
        return index < len(finding.steps) - 1 and finding.steps[index] in self.anchors


def find_setup(failures: Sequence[tuple[str, Sequence[Shown]]], base_url: str) -> Setup:
    """The setup steps of the failures shown: (rule part id, its shown findings) each."""
    prefix = base_url.rstrip("/") + "/"
    seen_in: dict[Step, int] = {}
    leads: list[Step] = []
    for _rule, findings in failures:
        for finding in findings:
            for step in dict.fromkeys(finding.steps):
                seen_in[step] = seen_in.get(step, 0) + 1
            leads += [s for s in finding.steps[:-1] if _url(s).startswith(prefix)]
    setup = Setup()
    for step in dict.fromkeys(leads):
        if seen_in[step] > 1:
            setup.anchors[step] = f"setup-{len(setup.anchors) + 1}"
            setup.users[step] = []
    for rule, findings in failures:
        for finding in findings:
            for index, step in enumerate(finding.steps):
                users = setup.users.get(step)
                if users is not None and setup.is_setup(finding, index) and rule not in users:
                    users.append(rule)
    return setup


def _url(step: Step) -> str:
    return step.request.partition(" ")[2]
