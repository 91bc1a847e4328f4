"""The terminal summary: every rule part by level, then each failure with its evidence."""

from __future__ import annotations

import re
import textwrap

import click

from campaign_contract.coverage import rules
from campaign_contract.engine.outcome import RuleVerdict, Status
from campaign_contract.engine.run_report import RunReport
from campaign_contract.report.clauses import tally
from campaign_contract.report.evidence import failure_text

_LABEL = {
    Status.PASS: ("PASS", "green"),
    Status.FAIL: ("FAIL", "red"),
    Status.WAIVED: ("WAIVED", "yellow"),
    Status.NOT_EXERCISED: ("NOT RUN", "bright_black"),
}


#: Control characters (but newline and tab) and bidi overrides: a server's bytes quoted in a
#: finding must not move the cursor, recolour, retitle or reorder the user's terminal.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with every control character shown as an escape instead of acting."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                       else f"\\u{ord(m.group()):04x}", text)  # fmt: skip


def _line(verdict: RuleVerdict) -> str:
    label, colour = _LABEL[verdict.status]
    if verdict.partial:
        label, colour = "PASS*", "cyan"
    part = rules.part(verdict.rule)
    text = f"  {click.style(f'{label:<8}', fg=colour)}{part.id:<6} {part.summary}"
    why = verdict.waiver_reason if verdict.status is Status.WAIVED else verdict.reason
    if why and (verdict.status is not Status.PASS or verdict.partial):
        text += "\n" + textwrap.indent(textwrap.fill(printable(why), 92), " " * 17)
    if verdict.waiver_note:
        text += "\n" + " " * 17 + click.style(f"! {verdict.waiver_note}", fg="yellow")
    return text


def render_terminal(report: RunReport, verbose: bool = False) -> str:
    """The summary; `verbose` also lists rule parts the selection left out."""
    meta = report.meta
    out = [
        f"campaign-contract {meta.suite_version} "
        + (f"judging {meta.target} (observed)" if meta.observed else f"against {meta.base_url}"),
        f"  seed {meta.seed}, level {meta.level}, run tag {meta.run_tag}, "
        f"openapi.yaml sha256 {meta.openapi_sha256 or 'missing'}",
        f"  {meta.started} .. {meta.finished} ({meta.duration_s:.1f} s)",
    ]
    left_out = 0
    for level, verdicts in report.by_level().items():
        shown = [v for v in verdicts if v.selected or verbose]
        left_out += len(verdicts) - len(shown)
        if shown:
            out += ["", click.style(f"{level.value} rules", bold=True)]
            out += [_line(v) for v in shown]
    failed = [v for v in report.verdicts if v.status is Status.FAIL]
    for verdict in failed:
        part = rules.part(verdict.rule)
        out += ["", click.style(f"--- {part.id} [{part.level.value}] failed", fg="red", bold=True)]
        out.append(textwrap.indent(printable(failure_text(verdict, report.secrets)), "  "))
    for note in [*report.waiver_notes, *report.warnings]:
        out.append(click.style(f"! {printable(note)}", fg="yellow"))
    if report.client:
        out += ["", click.style("the client's requests (not the server's fault)", bold=True)]
        for said in report.client:
            colour = "red" if said.severity == "violation" else "yellow"
            text = f"  {said.severity} {said.rule} (x{said.count}): {printable(said.message)}"
            out.append(click.style(text, fg=colour))
    counts = report.counts()
    summary = (
        f"{counts['pass']} passed, {counts['fail']} failed, {counts['waived']} waived, "
        f"{counts['not_exercised']} not exercised"
    )
    partial = sum(1 for v in report.verdicts if v.selected and v.partial)
    if partial:
        summary += (
            f"; {partial} passed only in part (PASS*: some of their checks or clauses not "
            "exercised)"
        )
    missing, judged = tally(report.verdicts)
    if missing:
        summary += (
            f"; {missing} of {judged} clauses of passed parts not wholly exercised in this run "
            "(each listed in the JSON and HTML reports)"
        )
    if left_out:
        summary += f" ({left_out} rule parts not selected)"
    out += ["", click.style(summary, fg="green" if report.ok else "red", bold=True)]
    return "\n".join(out) + "\n"
