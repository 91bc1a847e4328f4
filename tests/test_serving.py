"""tests/serving.py's `running`: a test that fails while it holds a subprocess's pipes must
close them itself. Left to the garbage collector, the pipe was closed during a later,
unrelated test, whose run then ended with an unraisable ResourceWarning as its error."""

from __future__ import annotations

import contextlib
import gc
import subprocess
import sys
import warnings

from tests.serving import running

BANNER = [sys.executable, "-c", "print('serving on http://127.0.0.1:1')"]


def _fail_holding_pipes() -> None:
    with running(BANNER, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        process.wait(30)
        raise AssertionError("a test failing with the pipes open")


def test_a_failure_inside_running_leaves_no_pipe_to_the_garbage_collector() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # As pytest reports a failure: then the failed frames are garbage.
        with contextlib.suppress(AssertionError):
            _fail_holding_pipes()
        gc.collect()  # what the collector would do later, in another test
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
