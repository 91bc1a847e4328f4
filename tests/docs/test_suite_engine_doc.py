"""docs/suite-engine.md's example check runs: it passes the mock with every cell of its clause
judged, and it fails a server that refuses the trailing slash for PUT alone, on R-1p."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from tests.contract.conftest import served, suite_config

from campaign_contract.engine.outcome import Status
from campaign_contract.engine.registry import CheckRegistry
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection

DOC = Path(__file__).resolve().parents[2] / "docs" / "suite-engine.md"
IMPORT = "from campaign_contract.engine.registry import check\n"


def _example_registry() -> CheckRegistry:
    """The doc's one Python block, its `@check` bound to a registry of its own (the shared
    one would carry the example into every other run of this process)."""
    code = re.findall(r"```python\n(.*?)```", DOC.read_text("utf-8"), re.S)
    assert len(code) == 1, "docs/suite-engine.md has one example check"
    assert IMPORT in code[0], "the example imports the decorator from the engine"
    registry = CheckRegistry()
    namespace: dict[str, Any] = {"__name__": "docs_example", "check": registry.check}
    exec(compile(code[0].replace(IMPORT, ""), str(DOC), "exec"), namespace)  # the doc's code
    assert len(registry) == 1
    return registry


def _put_slash_refused(app: Flask) -> None:
    inner: Callable[..., Any] = app.wsgi_app

    def wsgi(environ: dict[str, Any], start: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if environ["REQUEST_METHOD"] == "PUT" and re.fullmatch(r"/campaign/\d+/", path):
            environ = {**environ, "PATH_INFO": "/no-such-path"}
        return inner(environ, start)

    app.wsgi_app = wsgi  # type: ignore[method-assign]


@pytest.mark.parametrize("broken", [False, True], ids=["mock", "put-slash-refused"])
def test_the_example_check_judges_every_method(broken: bool, tmp_path: Path) -> None:
    registry = _example_registry()
    with served(_put_slash_refused if broken else None) as url:
        report = run_selection(
            suite_config(url, tmp_path),
            selection=Selection(only=("R-1p",)),
            registry=registry,
            seed=1,
        )
    verdict = next(v for v in report.verdicts if v.rule == "R-1p")
    assert verdict.status is (Status.FAIL if broken else Status.PASS), verdict
    items = next(c for c in verdict.clauses if c.clause == "R-1.trailing-slash-on-items")
    assert len(items.exercised) == 5, items  # GET, HEAD, OPTIONS, PUT, DELETE
    if broken:
        assert any("PUT with a trailing slash" in f.message for f in verdict.findings)
