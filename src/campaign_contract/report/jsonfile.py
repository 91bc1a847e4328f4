"""The JSON report."""

from __future__ import annotations

import json

from campaign_contract.engine.run_report import RunReport
from campaign_contract.report.serialize import report_to_dict


def render_json(report: RunReport) -> str:
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n"
