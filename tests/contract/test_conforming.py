"""The suite must pass each conforming variant of the mock with zero failed rule parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaign_contract.engine.outcome import Status
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection

from . import conforming_vrq  # noqa: F401 (it registers)
from .conforming import CONFORMING_VARIANTS, DEFAULT_ONLY, Conforming
from .conftest import CONFORMING, MAX_EXAMPLES, served, suite_config

#: As for the broken variants: a send on the mock at its test speed ends in about two seconds.
SEND_WAIT = 6.0
#: Parts the default layers always judge: a run that passes none of them judged nothing.
EVERY_RUN = {"V-2", "V-3", "V-4", "R-2", "R-3", "Q-1", "Q-2", "Q-2p", "Q-4", "M-2"}


def test_there_are_enough_conforming_variants() -> None:
    assert len(CONFORMING_VARIANTS) >= 9
    assert len({v.name for v in CONFORMING_VARIANTS}) == len(CONFORMING_VARIANTS)
    assert len({v.reading for v in CONFORMING_VARIANTS}) == len(CONFORMING_VARIANTS)


@pytest.mark.parametrize("variant", CONFORMING_VARIANTS, ids=[v.name for v in CONFORMING_VARIANTS])
def test_the_suite_passes_the_conforming_variant(variant: Conforming, tmp_path: Path) -> None:
    with served(variant.apply) as url:
        report = run_selection(
            suite_config(url, tmp_path, send_wait=SEND_WAIT),
            selection=Selection(only=variant.only, skip=("callbacks", *variant.skip)),
            seed=7,
            max_examples=MAX_EXAMPLES,
        )
    failed = {v.rule: v for v in report.verdicts if v.status is Status.FAIL}
    passed = {v.rule for v in report.verdicts if v.status is Status.PASS}
    # Zero failures mean something only if the suite judged the server at all.
    judged = EVERY_RUN if set(variant.only) == set(DEFAULT_ONLY) else set()
    missing = judged - passed - set(failed)
    text = ", ".join(sorted(failed))
    CONFORMING.append((variant.name, not failed, text, variant.reading))
    detail = "; ".join(f"{rule}: {v.findings[0].message if v.findings else v.reason}"
                       for rule, v in sorted(failed.items()))  # fmt: skip
    assert not failed, f"{variant.name} ({variant.reading}) fails {text}: {detail}"
    assert not missing, f"{variant.name}: not judged: {sorted(missing)}"
