"""A self-contained HTML page of the report (inline style, no scripts, no links out)."""

from __future__ import annotations

from html import escape

from campaign_contract import rules
from campaign_contract.outcome import RuleVerdict, Status
from campaign_contract.report.evidence import shown_findings
from campaign_contract.report.model import RunReport

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222}
table{border-collapse:collapse;width:100%}td,th{padding:.25em .5em;text-align:left;
vertical-align:top;border-bottom:1px solid #ddd}pre{background:#f6f6f6;padding:.6em;
overflow-x:auto;white-space:pre-wrap;word-break:break-all}.pass{color:#1a7f37}
.fail{color:#cf222e;font-weight:bold}.waived{color:#9a6700}.not_exercised{color:#777}
.note{color:#9a6700}dt{font-weight:bold}details{margin:.5em 0 1.5em}
"""


def _row(verdict: RuleVerdict) -> str:
    part = rules.part(verdict.rule)
    status = verdict.status.value
    why = verdict.waiver_reason if verdict.status is Status.WAIVED else verdict.reason
    note = f'<div class="note">{escape(verdict.waiver_note)}</div>' if verdict.waiver_note else ""
    anchor = f' href="#{escape(part.id)}"' if verdict.status is Status.FAIL else ""
    name = f"<a{anchor}>{escape(part.id)}</a>" if anchor else escape(part.id)
    label = "pass, in part" if verdict.partial else status.replace("_", " ")
    checks = "".join(
        f'<li><span class="{r.status.value}">{escape(r.status.value.replace("_", " "))}</span> '
        f"{escape(r.check)}</li>"
        for r in verdict.results
    )
    listed = f'<ul class="checks">{checks}</ul>' if checks else ""
    return (
        f'<tr><td>{name}</td><td class="{status}">{label}</td>'
        f"<td>{escape(part.summary)}</td><td>{escape(why or '')}{note}{listed}</td></tr>"
    )


def _failure(verdict: RuleVerdict) -> str:
    part = rules.part(verdict.rule)
    shown, more = shown_findings(verdict)
    body = [f'<h3 id="{escape(part.id)}">{escape(part.id)} [{part.level.value}]</h3>']
    for finding in shown:
        body.append(f"<p><b>{escape(finding.check)}</b>: {escape(finding.message)}</p>")
        for step in finding.steps:
            body.append(f"<pre>$ {escape(step.curl)}</pre><pre>{escape(step.response)}</pre>")
    if more:
        body.append(f"<p>… and {more} more findings.</p>")
    body.append(f"<details open><summary>Rule</summary><pre>{escape(part.text)}</pre></details>")
    return "\n".join(body)


def render_html(report: RunReport) -> str:
    meta = report.meta
    counts = report.counts()
    facts = [
        ("suite version", meta.suite_version),
        ("target", meta.base_url),
        ("openapi.yaml sha256", meta.openapi_sha256 or "missing"),
        ("seed", str(meta.seed)),
        ("level", meta.level),
        ("only / skip", f"{', '.join(meta.only) or '-'} / {', '.join(meta.skip) or '-'}"),
        ("time", f"{meta.started} .. {meta.finished} ({meta.duration_s:.1f} s)"),
        ("run tag", meta.run_tag),
        ("result", ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items())),
    ]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>campaign-contract: {escape(meta.base_url)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>campaign-contract: {'conforms' if report.ok else 'does not conform'}</h1>",
        "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts) + "</dl>",
    ]
    for note in [*report.waiver_notes, *report.warnings]:
        out.append(f'<p class="note">{escape(note)}</p>')
    for level, verdicts in report.by_level().items():
        out.append(f"<h2>{level.value} rules</h2><table>")
        out.append("<tr><th>rule</th><th>verdict</th><th>says</th><th>why</th></tr>")
        out += [_row(v) for v in verdicts]
        out.append("</table>")
    failed = [v for v in report.verdicts if v.status is Status.FAIL]
    if failed:
        out.append("<h2>Failures</h2>")
        out += [_failure(v) for v in failed]
    out.append("</body></html>")
    return "\n".join(out) + "\n"
