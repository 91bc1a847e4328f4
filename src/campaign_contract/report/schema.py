"""The JSON Schema of the JSON report, for consumers and for the suite's own tests."""

from __future__ import annotations

from typing import Any, Final

_STATUS = {"enum": ["pass", "fail", "waived", "not_exercised"]}
_TEXT = {"type": "string"}
_OPTIONAL_TEXT = {"type": ["string", "null"]}

_STEP = {
    "type": "object",
    "required": ["curl", "response", "status"],
    "properties": {
        "curl": _TEXT, "response": _TEXT, "status": {"type": ["integer", "null"]}, "request": _TEXT,
    },
}  # fmt: skip

_OPTIONAL_NUMBER = {"type": ["number", "null"]}
_CALLBACKS = {
    "type": ["object", "null"],
    "required": ["speed", "skew", "bound", "callbacks", "more_callbacks"],
    "properties": {
        "speed": {"type": "number"},
        "skew": {"type": "number"},
        "lag": {"type": "number"},
        "bound": {"type": "number"},
        "callbacks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["arrived", "when", "events", "send", "status", "late_at_least"],
                "properties": {
                    "arrived": {"type": "number"},
                    "when": {"type": ["integer", "null"]},
                    "events": {"type": "array", "items": _TEXT},
                    "send": _TEXT,
                    "status": {"type": ["integer", "null"]},
                    "late_at_least": _OPTIONAL_NUMBER,
                },
            },
        },
        "more_callbacks": {"type": "integer", "minimum": 0},
    },
}

#: One clause of the rule part: what this run exercised of it (`report/clauses.py`).
_CLAUSE = {
    "type": "object",
    "required": [
        "id",
        "text",
        "state",
        "exercised",
        "exempt",
        "axes",
        "cells",
        "cells_exercised",
        "missing",
        "reasons",
        "hint",
    ],
    "properties": {
        "id": {"type": "string", "pattern": "^[A-Z]-[0-9]+\\.[a-z0-9-]+$"},
        "text": _TEXT,
        "state": {"enum": ["exercised", "partly exercised", "not exercised", "outside"]},
        # Every cell exercised (or the clause is outside any check's reach).
        "exercised": {"type": "boolean"},
        "exempt": {"type": "boolean"},
        "axes": {"type": "array", "items": _TEXT},
        "cells": {"type": "integer", "minimum": 1},
        "cells_exercised": {"type": "integer", "minimum": 0},
        # The cells not exercised, axis -> value ({} is a clause without a domain).
        "missing": {"type": "array", "items": {"type": "object", "additionalProperties": _TEXT}},
        "reasons": {"type": "array", "items": _TEXT},
        "hint": _OPTIONAL_TEXT,
    },
}

_RULE = {
    "type": "object",
    "required": [
        "id", "rule", "level", "summary", "text", "selected", "status", "reason", "waiver",
        "waiver_note", "partial", "checks", "findings", "more_findings", "clauses",
    ],
    "properties": {
        "id": _TEXT,
        "rule": {"type": "string", "pattern": "^[A-Z]-[0-9]+$"},
        "level": {"enum": ["seed", "vendor", "profile"]},
        "summary": _TEXT,
        "text": _TEXT,
        "selected": {"type": "boolean"},
        "status": _STATUS,
        "reason": _TEXT,
        "waiver": _OPTIONAL_TEXT,
        "waiver_note": _OPTIONAL_TEXT,
        "partial": {"type": "boolean"},
        "checks": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["check", "status", "message"],
                "properties": {"check": _TEXT, "status": _STATUS, "message": _TEXT},
            },
        },
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["check", "message", "steps"],
                "properties": {
                    "check": _TEXT,
                    "message": _TEXT,
                    "steps": {"type": "array", "items": _STEP},
                },
            },
        },
        "more_findings": {"type": "integer", "minimum": 0},
        "clauses": {"type": "array", "items": _CLAUSE},
    },
}  # fmt: skip

REPORT_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "campaign-contract report",
    "type": "object",
    "required": [
        "format", "meta", "ok", "counts", "rules", "warnings", "waiver_notes", "stopped", "cleanup",
    ],
    "properties": {
        "format": {"const": 1},
        "meta": {
            "type": "object",
            "required": [
                "suite_version", "openapi_sha256", "base_url", "seed", "level", "only", "skip",
                "max_examples", "started", "finished", "duration_s", "run_tag",
            ],
            "properties": {
                "suite_version": _TEXT,
                "openapi_sha256": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
                "base_url": _TEXT,
                "seed": {"type": "integer"},
                "level": {"enum": ["core", "all"]},
                "only": {"type": "array", "items": _TEXT},
                "skip": {"type": "array", "items": _TEXT},
                "max_examples": {"type": "integer"},
                "started": _TEXT,
                "finished": _TEXT,
                "duration_s": {"type": "number"},
                "run_tag": _TEXT,
                "mode": {"enum": ["run", "proxy", "judge"]},
                "source": _TEXT,
            },
        },
        "ok": {"type": "boolean"},
        "counts": {
            "type": "object",
            "required": ["pass", "fail", "waived", "not_exercised"],
            "additionalProperties": {"type": "integer"},
        },
        "rules": {"type": "array", "items": _RULE},
        "warnings": {"type": "array", "items": _TEXT},
        "waiver_notes": {"type": "array", "items": _TEXT},
        "stopped": _OPTIONAL_TEXT,
        "callbacks": _CALLBACKS,
        "client": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["rule", "severity", "message", "count"],
                "properties": {
                    "rule": _TEXT,
                    "severity": {"enum": ["warning", "violation"]},
                    "message": _TEXT,
                    "count": {"type": "integer", "minimum": 1},
                },
            },
        },
        "cleanup": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "outcome"],
                "properties": {"id": {"type": "integer"}, "outcome": _TEXT},
            },
        },
    },
}  # fmt: skip
