"""The report as plain data (JSON-ready), the shape `schema.REPORT_SCHEMA` describes."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from campaign_contract.coverage import rules
from campaign_contract.engine.run_report import CallbackLog, RunReport
from campaign_contract.report.clauses import clause_dict
from campaign_contract.report.evidence import shown_findings

FORMAT_VERSION = 1
#: Callbacks listed at most (the first ones); the rest are counted.
MAX_LISTED = 10_000


def report_to_dict(report: RunReport) -> dict[str, Any]:
    verdicts = []
    for verdict in report.verdicts:
        part = rules.part(verdict.rule)
        shown, more = shown_findings(verdict, report.secrets)
        verdicts.append(
            {
                "id": part.id,
                "rule": part.rule_id,
                "level": part.level.value,
                "summary": part.summary,
                "text": part.text,
                "selected": verdict.selected,
                "status": verdict.status.value,
                "reason": verdict.reason,
                "waiver": verdict.waiver_reason,
                "waiver_note": verdict.waiver_note,
                "partial": verdict.partial,
                "checks": [
                    {"check": r.check, "status": r.status.value, "message": r.message}
                    for r in verdict.results
                ],
                "findings": [
                    {
                        "check": s.check,
                        "message": s.message,
                        "steps": [asdict(step) for step in s.steps],
                    }
                    for s in shown
                ],
                "more_findings": more,
                "clauses": [clause_dict(a) for a in verdict.clauses],
            }
        )
    meta = asdict(report.meta)
    meta["only"] = list(report.meta.only)
    meta["skip"] = list(report.meta.skip)
    return {
        "format": FORMAT_VERSION,
        "meta": meta,
        "ok": report.ok,
        "counts": report.counts(),
        "rules": verdicts,
        "warnings": list(report.warnings),
        "waiver_notes": list(report.waiver_notes),
        "stopped": report.stopped,
        "cleanup": [{"id": c.id, "outcome": c.outcome} for c in report.cleanup],
        "callbacks": _callbacks(report.callbacks),
        "client": [asdict(note) for note in report.client],
    }


def _callbacks(log: CallbackLog | None) -> dict[str, Any] | None:
    """The callbacks the receiver got: arrival (real s after the sends), and C-3's lateness."""
    if log is None:
        return None
    return {
        "speed": log.speed,
        "skew": log.skew,
        "lag": log.lag,
        "bound": log.bound,
        "callbacks": [
            {
                "arrived": round(c.arrived, 3),
                "when": c.when,
                "events": list(c.events),
                "send": c.send,
                "status": c.status,
                "late_at_least": None if late is None else round(late, 3),
            }
            for c, late in list(zip(log.callbacks, log.delays(), strict=True))[:MAX_LISTED]
        ],
        "more_callbacks": max(len(log.callbacks) - MAX_LISTED, 0),
    }
