"""JSON by Accept header (V-1): asked for, absent, or `*/*`."""

from __future__ import annotations

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.robustness.targets import MISSING, readable_path


@check("V-1", "V-1p")
def json_when_accepted(t: Probe) -> None:
    """Successes and failures are JSON for `Accept: application/json`, none, or `*/*`."""
    paths = dict.fromkeys((readable_path(t), MISSING, "/campaign/abc"))
    for path in paths:
        for rule, accept in (("V-1", "application/json"), ("V-1p", None), ("V-1p", "*/*")):
            t.begin()
            t.expect_json(rule, t.get(path, accept=accept))
    if t.ctx.config.auth.method != "none":
        t.begin()
        t.expect_json("V-1", t.get(MISSING, auth=None))
