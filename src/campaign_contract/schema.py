"""The schema layer (pending): schemathesis cases from openapi.yaml, checks registered per rule."""

from __future__ import annotations
