"""Broken variants that each break one clause of CONTRACT.md (see src/campaign_contract/coverage/)."""

from __future__ import annotations
