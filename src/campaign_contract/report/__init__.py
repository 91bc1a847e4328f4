"""Reports of a run: terminal summary, JUnit XML, JSON and a self-contained HTML page."""

from __future__ import annotations

from campaign_contract.engine.run_report import RunMeta, RunReport
from campaign_contract.report.html import render_html
from campaign_contract.report.jsonfile import render_json
from campaign_contract.report.junit import render_junit
from campaign_contract.report.terminal import render_terminal

__all__ = ["RunMeta", "RunReport", "render_html", "render_json", "render_junit", "render_terminal"]
