"""A self-contained HTML page of the report (inline style and SVG, no scripts, no links out).

Laid out for a reader with ten seconds: the verdict, then the failing rules, each linked to
its failure (whose curl command comes right under its heading), then the tables. Requests
several findings share are shown once, under "Setup exchanges"; the callbacks the receiver
got are drawn against C-3's bound (`timeline.py`).
"""

from __future__ import annotations

from html import escape

from campaign_contract.coverage import rules
from campaign_contract.engine.outcome import RuleVerdict, Status
from campaign_contract.engine.run_report import RunReport
from campaign_contract.report.clauses import clause_line, headline, state
from campaign_contract.report.evidence import Shown, Step, shown_findings
from campaign_contract.report.setup import Setup, find_setup
from campaign_contract.report.timeline import render_timeline

#: Characters of a failure's first message shown in the list at the top.
GIST = 160

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;padding:1em 1.5em 3em;max-width:76em;
color:#222}h1{font-size:1.6em;margin:.1em 0}h2{margin:1.4em 0 .4em}h3{margin:.2em 0 .3em}
header.verdict{border-left:8px solid;padding:.5em 1em;margin:.5em 0 1em}
header.verdict-pass{border-color:#1a7f37;background:#f0fff4}
header.verdict-fail{border-color:#cf222e;background:#fff5f5}header .facts{color:#555;margin:.2em 0}
.badge{background:#ddf4ff;color:#0a3069;border-radius:1em;padding:0 .6em}
.rule{white-space:nowrap;font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
nav.failing ol{margin:.3em 0;padding-left:1.6em}nav.failing li{margin:.25em 0}
nav.failing .gist{color:#555}
table{border-collapse:collapse;width:100%}td,th{padding:.25em .5em;text-align:left;
vertical-align:top;border-bottom:1px solid #ddd}td.rule-cell,th.rule-cell{white-space:nowrap}
td.status{white-space:nowrap}td.says{width:38%}
pre{background:#f6f6f6;padding:.6em;margin:.3em 0;overflow-x:auto;white-space:pre-wrap;
word-break:break-all}pre.curl{background:#eef4ff}
section.failure{border-top:1px solid #ddd;padding:.3em 0 .6em}
section.failure:target{background:#fffbe6}.finding{margin:.4em 0 .9em}.ref{color:#555;
margin:.2em 0}.ref code{word-break:break-all}
.pass{color:#1a7f37}.fail{color:#cf222e;font-weight:bold}.waived{color:#9a6700}
.not_exercised{color:#777}.note{color:#9a6700}dt{font-weight:bold}details{margin:.3em 0 1em}
.setup{border-top:1px solid #ddd;padding-top:.3em}
details.clauses{margin:.2em 0}li.clause.not-exercised,li.clause.partly-exercised{color:#9a6700}
figure.timeline{margin:.5em 0}figure.timeline svg{max-width:100%;height:auto;
font:11px system-ui,sans-serif}.legend{list-style:none;padding:0;margin:.3em 0;display:flex;
flex-wrap:wrap;gap:.4em 1.2em}.swatch{display:inline-block;width:.8em;height:.8em;
margin-right:.35em;vertical-align:-1px}.swatch.hollow{border:1.5px solid #555;
border-radius:50%;width:.6em;height:.6em}
"""


def _rule(part_id: str, link: bool = False) -> str:
    inner = escape(part_id)
    return (
        f'<a class="rule" href="#{inner}">{inner}</a>'
        if link
        else f'<span class="rule">{inner}</span>'
    )


def _row(verdict: RuleVerdict) -> str:
    part = rules.part(verdict.rule)
    status = verdict.status.value
    why = verdict.waiver_reason if verdict.status is Status.WAIVED else verdict.reason
    note = f'<div class="note">{escape(verdict.waiver_note)}</div>' if verdict.waiver_note else ""
    label = "pass, in part" if verdict.partial else status.replace("_", " ")
    checks = "".join(
        f'<li><span class="{r.status.value}">{escape(r.status.value.replace("_", " "))}</span> '
        f"{escape(r.check)}</li>"
        for r in verdict.results
    )
    listed = f'<ul class="checks">{checks}</ul>' if checks else ""
    return (
        f'<tr><td class="rule-cell">{_rule(part.id, verdict.status is Status.FAIL)}</td>'
        f'<td class="status {status}">{label}</td><td class="says">{escape(part.summary)}</td>'
        f"<td>{escape(why or '')}{note}{listed}{_clauses(verdict)}</td></tr>"
    )


def _clauses(verdict: RuleVerdict) -> str:
    """Each clause of the part: exercised in this run, on which cells, or why not and the
    hint; open when the part passed only in part."""
    if not verdict.clauses or not verdict.selected:
        return ""
    items = "".join(
        f'<li class="clause {state(a).replace(" ", "-")}" id="clause-{escape(a.clause)}">'
        f"{escape(clause_line(a))}</li>"
        for a in verdict.clauses
    )
    opened = " open" if verdict.partial else ""
    return (
        f'<details class="clauses"{opened}><summary>{escape(headline(verdict))}</summary>'
        f"<ul>{items}</ul></details>"
    )


def _exchange(step: Step) -> str:
    return (
        f'<pre class="curl">$ {escape(step.curl)}</pre>'
        f'<pre class="response">{escape(step.response)}</pre>'
    )


def _label(anchor: str) -> str:
    """setup-3 -> S3."""
    return "S" + anchor.rpartition("-")[2]


def _answer(step: Step) -> str:
    return f"HTTP {step.status}" if step.status is not None else "no answer"


def _finding(finding: Shown, setup: Setup) -> str:
    body = [
        f'<div class="finding"><p><b>{escape(finding.check)}</b>: {escape(finding.message)}</p>'
    ]
    for index, step in enumerate(finding.steps):
        if setup.is_setup(finding, index):
            anchor = setup.anchors[step]
            body.append(
                f'<p class="ref">after setup exchange <a href="#{anchor}">{_label(anchor)}</a>: '
                f"<code>{escape(step.request)}</code> → {_answer(step)}</p>"
            )
        else:
            body.append(_exchange(step))
    body.append("</div>")
    return "".join(body)


def _failure(verdict: RuleVerdict, shown: list[Shown], more: int, setup: Setup) -> str:
    part = rules.part(verdict.rule)
    body = [
        f'<section class="failure" id="{escape(part.id)}">',
        f"<h3>{_rule(part.id)} [{part.level.value}] {escape(part.summary)}</h3>",
    ]
    body += [_finding(finding, setup) for finding in shown]
    if more:
        body.append(f"<p>… and {more} more findings.</p>")
    body.append(f"<details><summary>Rule</summary><pre>{escape(part.text)}</pre></details>")
    body.append("</section>")
    return "\n".join(body)


def _gist(shown: list[Shown], verdict: RuleVerdict) -> str:
    text = shown[0].message if shown else verdict.reason
    return text if len(text) <= GIST else text[: GIST - 1] + "…"


def _top(report: RunReport, failed: list[tuple[RuleVerdict, list[Shown], int]]) -> list[str]:
    """The verdict and what failed: all a reader needs before the tables."""
    meta = report.meta
    counts = report.counts()
    result = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items() if n)
    verdict = "conforms" if report.ok else "does not conform"
    out = [
        f'<header class="verdict verdict-{"pass" if report.ok else "fail"}">',
        f'<h1 id="verdict">campaign-contract: {verdict}</h1>',
        f'<p class="facts">{escape(result or "nothing judged")} · {escape(meta.target)} · '
        + ('<span class="badge">observed</span> · ' if meta.observed else "")
        + f"seed {meta.seed} · {escape(meta.started)}</p>",
    ]
    if report.stopped is not None:
        out.append(f'<p class="fail">The run stopped early: {escape(report.stopped)}.</p>')
    out.append("</header>")
    if failed:
        out.append('<nav class="failing" aria-label="failing rules">')
        out.append(f"<h2>Failing rules ({len(failed)})</h2><ol>")
        for failure, shown, _more in failed:
            part = rules.part(failure.rule)
            out.append(
                f"<li>{_rule(part.id, link=True)} {escape(part.summary)}"
                f' <span class="gist">— {escape(_gist(shown, failure))}</span></li>'
            )
        out.append("</ol></nav>")
    elif report.ok:
        out.append(
            '<p class="pass" id="all-passed">Every selected rule part passed or was waived.</p>'
        )
    elif unexercised := counts.get(Status.NOT_EXERCISED.value, 0):
        out.append(
            f'<p class="fail">No rule failed, but {unexercised} selected rule parts were not '
            "exercised (see the tables).</p>"
        )
    return out


def render_html(report: RunReport) -> str:
    meta = report.meta
    failed = [
        (v, *shown_findings(v, report.secrets)) for v in report.verdicts if v.status is Status.FAIL
    ]
    setup = find_setup(
        [(rules.part(v.rule).id, shown) for v, shown, _more in failed], meta.base_url
    )
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>campaign-contract: {escape(meta.target)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        *_top(report, failed),
    ]
    for note in [*report.waiver_notes, *report.warnings]:
        out.append(f'<p class="note">{escape(note)}</p>')
    if report.client:
        out.append('<section id="client"><h2>The client\'s requests</h2><ul>')
        out += [
            f"<li><b>{escape(n.severity)} {escape(n.rule)}</b> (x{n.count}): "
            f"{escape(n.message)}</li>"
            for n in report.client
        ]
        out.append("</ul></section>")
    for level, verdicts in report.by_level().items():
        out.append(f"<h2>{level.value} rules</h2><table>")
        out.append(
            '<tr><th class="rule-cell">rule</th><th>verdict</th><th>says</th><th>why</th></tr>'
        )
        out += [_row(v) for v in verdicts]
        out.append("</table>")
    if report.callbacks is not None:
        out.append('<section id="callbacks"><h2>Callbacks observed</h2>')
        out.append(render_timeline(report.callbacks))
        out.append("</section>")
    if failed:
        out.append('<h2 id="failures">Failures</h2>')
        out += [_failure(v, shown, more, setup) for v, shown, more in failed]
    if setup.anchors:
        out.append('<section id="setup"><h2>Setup exchanges</h2>')
        out.append("<p>Requests several findings start from, shown once.</p>")
        for step, anchor in setup.anchors.items():
            users = ", ".join(_rule(rule, link=True) for rule in setup.users[step])
            out.append(
                f'<div class="setup" id="{anchor}"><h3>{_label(anchor)}: '
                f"<code>{escape(step.request)}</code> → {_answer(step)}</h3>"
                f"<p>Shown for {users}.</p>{_exchange(step)}</div>"
            )
        out.append("</section>")
    out.append(_facts(report))
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _facts(report: RunReport) -> str:
    """Everything needed to reproduce the run."""
    meta = report.meta
    counts = report.counts()
    facts = [
        ("suite version", meta.suite_version),
        ("target", meta.target),
        ("openapi.yaml sha256", meta.openapi_sha256 or "missing"),
        ("seed", str(meta.seed)),
        ("level", meta.level),
        ("only / skip", f"{', '.join(meta.only) or '-'} / {', '.join(meta.skip) or '-'}"),
        ("time", f"{meta.started} .. {meta.finished} ({meta.duration_s:.1f} s)"),
        ("run tag", meta.run_tag),
        ("result", ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items())),
    ]
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    return f'<h2 id="run">The run</h2><dl>{items}</dl>'
