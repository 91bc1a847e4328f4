"""Redocly's linter passes openapi.yaml with redocly.yaml: no error, no warning unexplained."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .conftest import need

ROOT = Path(__file__).resolve().parents[2]
#: Pinned: a new release may add rules (redocly.yaml says why each one changed is off).
REDOCLY = "@redocly/cli@2.77.0"


def test_redocly_lint_passes_with_no_warning() -> None:
    npx = need("npx")
    done = subprocess.run(
        [npx, "--yes", REDOCLY, "lint", "openapi.yaml", "--format", "stylish"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "valid" in output and " warning " not in output and " error " not in output, output
