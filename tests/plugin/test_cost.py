"""The plugin costs nothing to a run that does not use it: no heavy import, no thread, no
autouse fixture (STYLE.md). Measured by what gets imported and started, not by timing."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]

#: What the mock needs once a fixture is used; none may load before.
HEAVY = ("flask", "werkzeug", "waitress", "requests", "responses", "yaml", "jsonschema")


def _imported(code: str) -> set[str]:
    """Modules a fresh interpreter imports for `code`, from `-X importtime`."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        line.rsplit("|", 1)[1].strip()
        for line in run.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    found = _imported("import campaign_mock.pytest_plugin") - _imported("import pytest")
    assert not {m for m in found if m.split(".")[0] in HEAVY}
    assert not {m for m in found if m.startswith("campaign_mock.")} - {
        "campaign_mock.pytest_plugin"
    }


@pytest.fixture
def plain_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A test run that does not use the plugin, reporting what it imported and started."""
    pytester.makeconftest(
        f"""
        import sys, threading

        HEAVY = {HEAVY!r}

        def pytest_sessionfinish(session):
            heavy = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
            manager = session.config.pluginmanager
            print()
            print("CAMPAIGN-MOCK-PLUGIN", manager.has_plugin("campaign_mock.pytest_plugin")
                  or manager.has_plugin("campaign_mock"))
            print("HEAVY", heavy)
            print("THREADS", threading.active_count())
        """
    )
    pytester.makepyfile(
        """
        def test_plain(request):
            assert not [f for f in request.fixturenames if "campaign" in f or "sink" in f]
        """
    )
    return pytester


def test_a_run_that_does_not_use_the_plugin_pays_nothing(
    plain_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alone (other plugins off): the plugin loads, and nothing heavy nor a thread with it."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = plain_project.runpytest_subprocess(
        "-s", "-p", "no:cacheprovider", "-p", "campaign_mock.pytest_plugin"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["CAMPAIGN-MOCK-PLUGIN True", "HEAVY []", "THREADS 1"])


def test_autoloaded_it_adds_nothing_to_what_other_plugins_load(
    plain_project: pytest.Pytester,
) -> None:
    """As installed (entry point `pytest11`), beside whatever else the environment has."""
    runs = [
        plain_project.runpytest_subprocess("-s", "-p", "no:cacheprovider", *extra)
        for extra in ((), ("-p", "no:campaign_mock"))
    ]
    for run in runs:
        run.assert_outcomes(passed=1)
    loaded = [
        [line for line in run.outlines if line.startswith(("HEAVY", "THREADS"))] for run in runs
    ]
    assert "CAMPAIGN-MOCK-PLUGIN True" in runs[0].outlines
    assert "CAMPAIGN-MOCK-PLUGIN False" in runs[1].outlines
    assert loaded[0] == loaded[1]


def test_the_package_itself_is_cheap() -> None:
    found = _imported("import campaign_mock")
    assert not {m for m in found if m.split(".")[0] in HEAVY}
