"""The fresh clone a new user gets, and `make serve` in it: made once per session."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from serving import BANNER, user_env

ROOT = Path(__file__).resolve().parents[2]
#: `pip list --format=json` of the clone's .venv as `make serve` left it.
SERVED_PACKAGES = "served-packages.json"


@pytest.fixture(scope="session")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of this repository's committed HEAD, as a new user would get it."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("the README test needs git and a git checkout of campaign-kit")
    target = tmp_path_factory.mktemp("clone") / "campaign-kit"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    return target


@pytest.fixture(scope="session")
def make_serve(fresh_clone: Path) -> Iterator[str]:
    """`make serve` in the clone: it builds its own .venv, installs, and serves.

    On `PORT=0`, read back from the banner: a port picked here would stay free through the
    minutes of install only by luck, and another test's mock answering on it is no proof.
    """
    env = user_env()
    log = (fresh_clone / "serve.log").open("w")
    process = subprocess.Popen(
        ["make", "serve", "PORT=0"],
        cwd=fresh_clone,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 600  # the first install downloads the dependencies
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make serve exited: {_tail(fresh_clone / 'serve.log')}")
        found = BANNER.search((fresh_clone / "serve.log").read_text("utf-8", "replace"))
        try:
            if found is not None:
                url = f"http://127.0.0.1:{found.group(1)}"
                requests.get(f"{url}/_mock/state", timeout=1)
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.5)  # waiting for a subprocess to come up, not for the mock's clock
    else:
        pytest.fail("make serve did not answer within 600 s")
    # What `make serve` installed, before any test adds to the clone's .venv.
    listed = subprocess.run(
        [".venv/bin/python", "-m", "pip", "list", "--format=json"],
        cwd=fresh_clone,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert listed.returncode == 0, listed.stderr
    (fresh_clone / SERVED_PACKAGES).write_text(listed.stdout)
    yield url
    # What a user's Ctrl-C or a supervisor does: the whole group, so make forwards it too.
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        pytest.fail(f"make serve ignored SIGTERM for 30 s: {_tail(fresh_clone / 'serve.log')}")
    finally:
        log.close()
    assert "campaign-mock stopped (SIGTERM)" in _tail(fresh_clone / "serve.log")


def _tail(path: Path) -> str:
    return path.read_text()[-2000:]
