"""The suite must fail each deliberately broken variant of the mock on the rule it breaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaign_contract.engine.outcome import Status
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection

from .catalogue import load
from .conftest import KILLS, MAX_EXAMPLES, kill_selection, served, suite_config
from .variants import VARIANTS, Variant

load()  # every variant module registers before the kill tests are parametrised

#: A send on the mock at its test speed ends in about two seconds; more means it never will.
SEND_WAIT = 6.0


def test_there_are_enough_variants_over_every_group() -> None:
    groups = {rule.split("-")[0] for v in VARIANTS for rule in v.breaks}
    assert len(VARIANTS) >= 25 and {"V", "R", "Q", "M"} <= groups
    assert len({v.name for v in VARIANTS}) == len(VARIANTS)


@pytest.mark.parametrize("broken", VARIANTS, ids=[v.name for v in VARIANTS])
def test_the_suite_kills_the_variant(broken: Variant, tmp_path: Path) -> None:
    with served(broken.apply) as url:
        report = run_selection(
            suite_config(url, tmp_path, send_wait=SEND_WAIT),
            selection=Selection(
                only=kill_selection(broken.name, broken.breaks[0], broken.only),
                skip=("callbacks",),
            ),
            seed=7,
            max_examples=MAX_EXAMPLES,
        )
    failed = {v.rule for v in report.verdicts if v.status is Status.FAIL}
    killed = not report.ok and broken.breaks[0] in failed
    KILLS.append((broken.name, ",".join(broken.breaks), killed, broken.why))
    assert killed, f"{broken.name} survived; failed: {sorted(failed)}"
    finding = next(v for v in report.verdicts if v.rule == broken.breaks[0]).findings[0]
    assert finding.evidence and finding.message
