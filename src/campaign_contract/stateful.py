"""The stateful layer (pending): a Hypothesis state machine of campaigns against a dict model."""

from __future__ import annotations
