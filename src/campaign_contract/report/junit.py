"""The JUnit XML report: one test case per rule part."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from campaign_contract.coverage import rules
from campaign_contract.engine.outcome import Status
from campaign_contract.engine.run_report import RunMeta, RunReport
from campaign_contract.report.clauses import clause_line, headline
from campaign_contract.report.evidence import failure_text

#: Characters XML 1.0 cannot carry (a garbage response body may hold them).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _properties(meta: RunMeta) -> ET.Element:
    element = ET.Element("properties")
    for name, value in (
        ("suite_version", meta.suite_version),
        ("openapi_sha256", meta.openapi_sha256 or "missing"),
        ("base_url", meta.base_url),
        ("seed", str(meta.seed)),
        ("level", meta.level),
        ("started", meta.started),
        ("run_tag", meta.run_tag),
        ("mode", meta.mode),
        *((("source", meta.source),) if meta.source else ()),
    ):
        ET.SubElement(element, "property", name=name, value=value)
    return element


def _name(meta: RunMeta) -> str:
    """Observed traffic's verdicts are told apart from a run's in a CI's test list."""
    return "campaign-contract (observed)" if meta.observed else "campaign-contract"


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def render_junit(report: RunReport) -> str:
    counts = report.counts()
    suite = ET.Element(
        "testsuite",
        name=_name(report.meta),
        tests=str(len(report.verdicts)),
        failures=str(counts["fail"]),
        errors="0",
        skipped=str(len(report.verdicts) - counts["fail"] - counts["pass"]),
        time=f"{report.meta.duration_s:.3f}",
        timestamp=report.meta.started,
        hostname=report.meta.base_url,
    )
    suite.append(_properties(report.meta))
    for verdict in report.verdicts:
        part = rules.part(verdict.rule)
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"campaign_contract.{part.level.value}.{part.group}",
            name=f"{part.id} {part.summary}",
            time="0",
        )
        if verdict.status is Status.FAIL:
            failure = ET.SubElement(
                case, "failure", message=_xml_safe(verdict.reason[:500]), type="fail"
            )
            failure.text = _xml_safe(failure_text(verdict, report.secrets))
        elif verdict.status is Status.WAIVED:
            ET.SubElement(
                case, "skipped", type="waived", message=f"waived: {verdict.waiver_reason}"
            )
        elif verdict.status is Status.NOT_EXERCISED:
            ET.SubElement(case, "skipped", message=f"not exercised: {verdict.reason}")
        told = [f"{r.check}: {r.status.value}{f' ({r.message})' if r.message else ''}"
                for r in verdict.results]  # fmt: skip
        if verdict.partial:
            told.insert(0, f"PASSED ONLY IN PART: {verdict.reason}")
        if verdict.waiver_note:
            told.insert(0, verdict.waiver_note)
        if verdict.clauses and verdict.selected:
            told.append(f"clauses ({headline(verdict)}):")
            told += [f"  {clause_line(a)}" for a in verdict.clauses]
        if told:
            ET.SubElement(case, "system-out").text = _xml_safe("\n".join(told))
    root = ET.Element("testsuites", name=_name(report.meta))
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, "unicode") + "\n"
