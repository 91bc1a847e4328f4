"""Waivers: known failures turned into expected ones until a date."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from campaign_contract import rules
from campaign_contract.outcome import RuleVerdict, Status


class WaiverError(ValueError):
    """A waiver-file problem, told in one line."""


@dataclass(frozen=True, slots=True)
class Waiver:
    #: A rule part (V-1p) or a whole rule (V-1, all its parts).
    rule: str
    reason: str
    expires: dt.date

    def covers(self, part_id: str) -> bool:
        return self.rule == part_id or rules.part(part_id).rule_id == self.rule


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
        rule = str(item.get("rule") or "")
        if rule not in rules.parts_by_id() and rule not in {r.id for r in rules.all_rules()}:
            raise WaiverError(f"{where}.rule: {rule!r} is no rule or rule part of CONTRACT.md")
        reason = str(item.get("reason") or "").strip()
        if not reason:
            raise WaiverError(f"{where}.reason: is required")
        expires = item.get("expires")
        if isinstance(expires, str):
            with contextlib.suppress(ValueError):
                expires = dt.date.fromisoformat(expires)
        if not isinstance(expires, dt.date) or isinstance(expires, dt.datetime):
            raise WaiverError(f"{where}.expires: expected a date YYYY-MM-DD, got {expires!r}")
        waivers.append(Waiver(rule=rule, reason=" ".join(reason.split()), expires=expires))
    return waivers


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
    """Mark waived failures; return notes on expired waivers and waived rules that pass."""
    notes = []
    for verdict in verdicts:
        if not verdict.selected:
            continue
        for waiver in (w for w in waivers if w.covers(verdict.rule)):
            if today > waiver.expires:
                verdict.waiver_note = f"waiver expired on {waiver.expires.isoformat()}"
            elif verdict.status is Status.FAIL:
                verdict.status = Status.WAIVED
                verdict.waiver_reason = waiver.reason
                continue
            elif verdict.status is Status.PASS:
                verdict.waiver_note = "waived, but passes: remove the waiver"
            else:
                continue
            notes.append(f"{verdict.rule}: {verdict.waiver_note} ({waiver.reason})")
    return notes
