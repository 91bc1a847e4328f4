"""Broken variants, each breaking one clause of CONTRACT.md (see campaign_contract/coverage)."""

from __future__ import annotations
