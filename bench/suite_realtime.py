"""A whole default `campaign-contract run` against a real-time server, this checkout against a
baseline commit, both at once on the same machine: the suite's cost where every wait is real.

The server is the mock at speed 1 on the standard library's wsgiref server (what
tests/contract/stdlib_served.py serves: a conforming server that is not waitress); each
checkout serves its own mock and runs its own suite (`init --from-mock`, then `run --seed 7`),
so the ratio compares the two suites under the same load. The baseline is checked out into a
temporary git worktree. A run takes about 15 minutes, most of it waiting on real time (C-3's
300 s windows, the callback outage), so the two runs overlap rather than compete.

`--waits` times this checkout twice, one run after the other: the whole run, and the
callbacks layer alone (`--only callbacks`: the run's longest single wait, C-3's windows, the
outage and the opens). The callbacks layer begins as the run starts and waits while the other
layers run, so the whole run should take little more than that wait (issue 21: at most 1.3x).

Examples:
  python bench/suite_realtime.py                       # against e13285b (before issue 17)
  python bench/suite_realtime.py --baseline HEAD~10
  python bench/suite_realtime.py --only-this           # this checkout alone, no ratio
  python bench/suite_realtime.py --waits               # whole run / its longest wait
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The commit before issue 17 (each clause judged over its whole domain).
BEFORE_ISSUE_17 = "e13285b"

SERVE_AND_RUN = """
import os, subprocess, sys, time
repo = sys.argv[1]
sys.path[:0] = [os.path.join(repo, "src"), os.path.join(repo, "tests")]
from contract.conftest import mock_app
from contract.stdlib_served import stdlib_served
env = dict(os.environ, PYTHONPATH=os.path.join(repo, "src"))
work = sys.argv[2]
with stdlib_served(mock_app(1.0)) as url:
    subprocess.run([sys.executable, "-m", "campaign_contract", "init", "--from-mock", url,
                    "-o", "c.yaml", "--force"], env=env, check=True, cwd=work,
                   capture_output=True)
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "campaign_contract", "run", "--config",
                          "c.yaml", "--seed", "7", *sys.argv[3:]], env=env, cwd=work,
                         capture_output=True, text=True)
    print(f"{time.monotonic() - started:.1f} {run.returncode}")
    print(run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-300:])
"""


def timed_run(repo: Path, label: str, results: dict[str, tuple[float, str]], *extra: str) -> None:
    """Serves `repo`'s mock in real time and times `repo`'s suite against it (`extra`: more
    options for `run`)."""
    with tempfile.TemporaryDirectory(prefix=f"suite-realtime-{label}-") as work:
        done = subprocess.run(
            [sys.executable, "-c", SERVE_AND_RUN, str(repo), work, *extra],
            capture_output=True,
            text=True,
            env={**os.environ, "CAMPAIGN_MOCK_RUNTIME_DIR": work},
        )
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or len(lines) < 2:
            results[label] = (float("nan"), f"failed: {done.stderr.strip()[-400:]}")
            return
        seconds, code = lines[0].split()
        results[label] = (float(seconds), f"exit {code}: {lines[1]}")


def progress(started: float, stop: threading.Event) -> None:
    while not stop.wait(60):
        print(f"  ... {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Examples:" + __doc__.split("Examples:", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--baseline", default=BEFORE_ISSUE_17, help="commit to compare with")
    parser.add_argument("--only-this", action="store_true", help="time this checkout alone")
    parser.add_argument(
        "--waits", action="store_true", help="this checkout: whole run / callbacks layer alone"
    )
    args = parser.parse_args()
    results: dict[str, tuple[float, str]] = {}
    started = time.monotonic()
    stop = threading.Event()
    threading.Thread(target=progress, args=(started, stop), daemon=True).start()
    if args.waits:
        return waits(results, stop)
    with tempfile.TemporaryDirectory(prefix="suite-realtime-baseline-") as holder:
        runs = [threading.Thread(target=timed_run, args=(ROOT, "this", results))]
        baseline = Path(holder) / "repo"
        if not args.only_this:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(baseline),
                 args.baseline],
                check=True, capture_output=True,
            )  # fmt: skip
            runs.append(threading.Thread(target=timed_run, args=(baseline, "baseline", results)))
        try:
            for run in runs:
                run.start()
            for run in runs:
                run.join()
        finally:
            stop.set()
            if not args.only_this:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)],
                    capture_output=True,
                )
    for label, (seconds, summary) in sorted(results.items()):
        print(f"{label:9} {seconds:8.1f} s  {summary}")
    if "baseline" in results and results["baseline"][0] > 0:
        ratio = results["this"][0] / results["baseline"][0]
        print(f"ratio this/baseline ({args.baseline}): {ratio:.2f}")
    return 0 if all(s == s for s, _ in results.values()) else 1


def waits(results: dict[str, tuple[float, str]], stop: threading.Event) -> int:
    """The whole run, then the callbacks layer alone, one after the other; their ratio."""
    try:
        timed_run(ROOT, "whole", results)
        timed_run(ROOT, "callbacks", results, "--only", "callbacks")
    finally:
        stop.set()
    for label in ("whole", "callbacks"):
        seconds, summary = results[label]
        print(f"{label:9} {seconds:8.1f} s  {summary}")
    whole, wait = results["whole"][0], results["callbacks"][0]
    print(f"ratio whole run / its longest wait (the callbacks layer alone): {whole / wait:.2f}")
    return 0 if whole == whole and wait == wait else 1


if __name__ == "__main__":
    sys.exit(main())
