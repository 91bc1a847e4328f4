"""Waivers: known failures turned into expected ones until a date."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from campaign_contract.coverage import rules
from campaign_contract.engine.outcome import CheckResult, RuleVerdict, Status


class WaiverError(ValueError):
    """A waiver-file problem, told in one line."""


@dataclass(frozen=True, slots=True)
class Waiver:
    #: A rule part (V-1p) or a whole rule (V-1, all its parts).
    rule: str
    reason: str
    expires: dt.date
    #: One check's failures only (`Q-1p:schema.generated_requests`), or None for every check.
    check: str | None = None

    @property
    def name(self) -> str:
        return f"{self.rule}:{self.check}" if self.check else self.rule

    def covers(self, part_id: str) -> bool:
        return self.rule == part_id or rules.part(part_id).rule_id == self.rule

    def covers_check(self, part_id: str, check: str) -> bool:
        return self.covers(part_id) and self.check in (None, check)


def parse_waivers(data: Any, source: str = "waivers") -> list[Waiver]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise WaiverError(f"{source}: expected a list of {{rule, reason, expires}}")
    waivers = []
    for index, item in enumerate(data):
        where = f"{source}: [{index}]"
        if not isinstance(item, dict):
            raise WaiverError(f"{where}: expected a mapping with rule, reason, expires")
        unknown = set(item) - {"rule", "reason", "expires"}
        if unknown:
            raise WaiverError(f"{where}.{sorted(unknown)[0]}: unknown key")
        rule, _, check = str(item.get("rule") or "").partition(":")
        if rule not in rules.parts_by_id() and rule not in {r.id for r in rules.all_rules()}:
            raise WaiverError(f"{where}.rule: {rule!r} is no rule or rule part of CONTRACT.md")
        if _ and (not check or check not in known_checks(rule)):
            known = ", ".join(sorted(known_checks(rule))) or "none"
            raise WaiverError(
                f"{where}.rule: {check!r} is no check of {rule} (its checks: {known})"
            )
        reason = str(item.get("reason") or "").strip()
        if not reason:
            raise WaiverError(f"{where}.reason: is required")
        expires = item.get("expires")
        if isinstance(expires, str):
            with contextlib.suppress(ValueError):
                expires = dt.date.fromisoformat(expires)
        if not isinstance(expires, dt.date) or isinstance(expires, dt.datetime):
            raise WaiverError(f"{where}.expires: expected a date YYYY-MM-DD, got {expires!r}")
        waivers.append(
            Waiver(rule=rule, reason=" ".join(reason.split()), expires=expires, check=check or None)
        )
    return waivers


def known_checks(rule: str) -> set[str]:
    """Names of the registered checks that judge this rule or rule part."""
    from campaign_contract.engine.layers import load_layers
    from campaign_contract.engine.registry import REGISTRY

    load_layers()
    parts = {p.id for p in rules.expand(rule)}
    return {c.name for c in REGISTRY if parts & set(c.rules)}


def load_waivers(path: str | Path) -> list[Waiver]:
    try:
        data = yaml.safe_load(Path(path).read_text("utf-8"))
    except OSError as error:
        raise WaiverError(f"{path}: cannot read: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise WaiverError(f"{path}: not valid YAML: {' '.join(str(error).split())}") from None
    return parse_waivers(data, str(path))


def apply_waivers(
    verdicts: Iterable[RuleVerdict], waivers: list[Waiver], today: dt.date
) -> list[str]:
    """Mark waived failures; return notes on expired waivers and waived rules that pass.

    A waiver naming a check waives that check's failures only: the part is waived when every
    failing check is, and stays failed (on the other checks' findings) otherwise.
    """
    notes = []
    for verdict in verdicts:
        if not verdict.selected:
            continue
        for waiver in (w for w in waivers if w.covers(verdict.rule)):
            failing = [r for r in verdict.results if r.status is Status.FAIL]
            if today > waiver.expires:
                verdict.waiver_note = (
                    f"waiver {waiver.name} expired on {waiver.expires.isoformat()}"
                )
            elif verdict.status is Status.FAIL and waiver.check is None:
                _waive(verdict, failing, waiver)
                continue
            elif verdict.status is Status.FAIL:
                mine = [r for r in failing if r.check == waiver.check]
                if mine:
                    _waive(verdict, mine, waiver)
                    continue
                verdict.waiver_note = f"waiver {waiver.name}: that check did not fail"
            elif verdict.status is Status.PASS or verdict.status is Status.WAIVED:
                if verdict.status is Status.WAIVED:
                    continue
                verdict.waiver_note = "waived, but passes: remove the waiver"
            else:
                continue
            notes.append(f"{verdict.rule}: {verdict.waiver_note} ({waiver.reason})")
    return notes


def _waive(verdict: RuleVerdict, results: list[CheckResult], waiver: Waiver) -> None:
    """Waive these check results; the part is waived once no check's failure stands."""
    for result in results:
        result.status = Status.WAIVED
        result.message = f"waived ({waiver.name}: {waiver.reason}); was: {result.message}"
    standing = [r for r in verdict.results if r.status is Status.FAIL]
    if standing:
        verdict.reason = "; ".join(dict.fromkeys(f"{r.check}: {r.message}" for r in standing))
        return
    verdict.status = Status.WAIVED
    verdict.waiver_reason = waiver.reason
