"""The callbacks layer (pending): a built-in receiver and the C- and E- rule checks."""

from __future__ import annotations
