"""Running a selection of checks against a server and producing the report."""

from __future__ import annotations

import datetime as dt
import secrets
import time
import traceback
from collections.abc import Callable, Sequence

from campaign_contract._version import __version__
from campaign_contract.config.model import Config, ConfigError
from campaign_contract.engine.context import RunContext
from campaign_contract.engine.layers import load_layers
from campaign_contract.engine.ledger import Ledger
from campaign_contract.engine.outcome import CheckResult, Status
from campaign_contract.engine.preflight import NO_ENVELOPE_HINT, PreflightError, preflight
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import REGISTRY, Check, CheckRegistry
from campaign_contract.engine.run_report import CALLBACK_LOG, CallbackLog, RunMeta, RunReport
from campaign_contract.engine.selection import Resolved, Selection, resolve
from campaign_contract.engine.verdict import judge
from campaign_contract.engine.verdicts import NotExercisedError
from campaign_contract.engine.waiver import Waiver, apply_waivers
from campaign_contract.spec import openapi_sha256
from campaign_contract.transport.http import BasicAuth, Client, ServerSilent

#: Seconds a run has, once interrupted, for what is left (cleanup); docs/vendor.md.
INTERRUPT_GRACE = 10.0
#: Called before a check (results None) and after it (its results).
Progress = Callable[[int, int, Check, list[CheckResult] | None], None]


def run_check(check: Check, ctx: RunContext) -> list[CheckResult]:
    """Run one check; whatever it raises becomes a result, never an exception."""
    probe = Probe(ctx, check)
    try:
        check.func(probe)
        return probe.results()
    except NotExercisedError as reason:
        return probe.results(skipped=str(reason))
    except ServerSilent as reason:  # what it found before stands; the rest is not judged
        return probe.results(skipped=f"not finished: {reason}")
    # A crashing check must not end the run, nor blame the server: what it found before the
    # crash stands, the rest of its parts are not exercised, and the report names the crash.
    except Exception as error:
        results = probe.results()
        where = traceback.format_exception_only(error)[-1].strip()
        crashed = f"the check itself crashed (a suite bug: please report it): {where}"
        for result in results:
            if result.status is not Status.FAIL:
                result.status, result.message = Status.NOT_EXERCISED, crashed
        ctx.warnings.append(f"check {check.name}: {crashed}")
        return results
    finally:
        ctx.adopt(probe.exchanges)


def open_client(config: Config, base_url: str) -> tuple[Client, list[str]]:
    """A client for the target with the config's credentials (logged in, for a session)."""
    client = Client(
        base_url,
        timeout=config.limits.request_timeout,
        connect_timeout=config.limits.connect_timeout,
        rate_limit=config.limits.rate_limit,
        user_agent=f"campaign-contract/{__version__}",
    )
    client.silent_limit = config.limits.silent_requests
    auth = config.auth
    warnings = []
    if auth.method == "basic":
        client.auth = BasicAuth(auth.username, auth.password)
    elif auth.method == "session":
        exchange, session = client.login(auth.username, auth.password)
        if session is None:
            warnings.append(f"login at /login/ gave no session: {exchange.describe()}")
        client.auth = session
    return client, warnings


def _not_run(check: Check, ctx: RunContext, reason: str) -> list[CheckResult]:
    """Results of a check the run never started: each of its selected parts, not exercised."""
    return [
        CheckResult(check.name, rule, Status.NOT_EXERCISED, reason)
        for rule in check.rules
        if rule in ctx.selected
    ]


def run_selection(
    config: Config,
    *,
    base_url: str | None = None,
    selection: Selection | None = None,
    seed: int | None = None,
    max_examples: int = 20,
    waivers: Sequence[Waiver] = (),
    registry: CheckRegistry | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Run the selected checks against `base_url` and judge every rule part.

    This is the seam for every front end (the CLI, a pytest plugin): it never
    raises for anything the server does; only a bad selection (SelectionError)
    or a missing base URL (ConfigError) stop it, before any request.
    """
    selection = selection or Selection()
    target = base_url or config.base_url
    if not target:
        raise ConfigError("base_url", "is required (or pass --base-url)", config.source)
    if registry is None:
        load_layers()
        registry = REGISTRY
    resolved = resolve(selection, registry, registry.layers())
    seed = seed if seed is not None else secrets.randbelow(2**32)
    started = dt.datetime.now(dt.UTC)
    clock = time.monotonic()

    client, warnings = open_client(config, target)
    login_problem = next((w for w in warnings if w.startswith("login at /login/")), None)
    try:
        preflight(client, config, login_problem)
    except PreflightError as error:
        client.close()
        return _unjudged(client, selection, resolved, seed, started, clock, str(error))
    run_limit = config.limits.run_deadline
    deadline = client.deadline = clock + run_limit
    ctx = RunContext(
        config=config,
        client=client,
        seed=seed,
        max_examples=max_examples,
        selected=resolved.parts,
        ledger=Ledger(config.ledger),
    )
    ordered = [c for c in resolved.checks if not c.final] + [c for c in resolved.checks if c.final]
    results: list[CheckResult] = []
    stopped: str | None = None
    client.halt_when_silent = True  # the watchdog ends a check as soon as the server is silent
    try:
        for begin in dict.fromkeys(c.begin for c in ordered if c.begin is not None):
            begin(ctx)  # waits that overlap what runs meanwhile (the callbacks layer's sends)
        for index, check in enumerate(ordered, 1):
            if stopped is None and time.monotonic() > deadline:
                stopped = f"the run's deadline (limits.run_deadline, {run_limit:g} s) passed"
            if stopped is None and client.silenced is not None:
                stopped = client.silenced
            # Final checks only judge what the run saw (the client sends nothing past the
            # deadline or once the server is silent), so they still run after either: an
            # interrupt alone skips them.
            if stopped is not None and not (check.final and not stopped.startswith("interrupted")):
                results += _not_run(check, ctx, f"not started: {stopped}")
                continue
            found: list[CheckResult] | None = None
            try:
                if progress:
                    progress(index, len(ordered), check, None)
                found = run_check(check, ctx)
                results += found
                if progress:
                    progress(index, len(ordered), check, found)
            except KeyboardInterrupt:
                stopped = "interrupted (Ctrl-C)"
                # What is left (the cleanup of its campaigns) gets INTERRUPT_GRACE seconds,
                # whatever the server does: a request waits no longer than that either.
                client.deadline = min(deadline, time.monotonic() + INTERRUPT_GRACE)
                if found is None:
                    results += _not_run(check, ctx, f"{stopped} while it ran")
    finally:
        client.halt_when_silent = False  # cleanup's requests come back "not sent" instead
        try:
            cleanup = ctx.close()
        except KeyboardInterrupt:
            stopped, cleanup = "interrupted (Ctrl-C), cleanup too", []
        client.close()
    if stopped is None and client.silenced is not None:  # during the last check
        stopped = client.silenced
    warnings += ctx.warnings
    if ctx.server_clock_precision is not None:
        warnings.append(
            f"the server's clock was known within ±{ctx.server_clock_precision:g} s "
            f"({ctx.server_clock_source}); M-4's timing cells lean on it"
        )
    if not any(e.answered and e.success() is not None for e in client.history):
        # Every answer judged as it came (V-1..V-4), but a person should look at the URL first.
        warnings.insert(0, NO_ENVELOPE_HINT)
    left = [r for r in cleanup if r.outcome == "left"]
    if left:
        ids = ", ".join(str(r.id) for r in left)
        warnings.append(f"campaigns left on the server (run `campaign-contract clean`): {ids}")

    meta = _meta(client, selection, seed, max_examples, started, clock, ctx.run_tag)
    verdicts = judge(
        results,
        resolved.left_out,
        no_check=f"no check exercises it yet (layers: {', '.join(sorted(registry.layers()))})",
    )
    notes = apply_waivers(verdicts, list(waivers), started.date())
    if stopped is not None:
        warnings.append(f"the run stopped early: {stopped}; this report is partial")
    interrupted = stopped is not None and stopped.startswith("interrupted")
    callbacks: CallbackLog | None = ctx.shared(CALLBACK_LOG, lambda: None)
    known = config.auth.secrets
    return RunReport(
        meta,
        verdicts,
        warnings,
        notes,
        cleanup,
        stopped=stopped,
        interrupted=interrupted,
        callbacks=callbacks,
        secrets=known,
    )


def _meta(
    client: Client,
    selection: Selection,
    seed: int,
    max_examples: int,
    started: dt.datetime,
    clock: float,
    run_tag: str,
) -> RunMeta:
    return RunMeta(
        suite_version=__version__,
        openapi_sha256=openapi_sha256(),
        base_url=client.base_url,
        seed=seed,
        level=selection.level,
        only=selection.only,
        skip=selection.skip,
        max_examples=max_examples,
        started=started.isoformat(timespec="seconds"),
        finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        duration_s=round(time.monotonic() - clock, 3),
        run_tag=run_tag,
    )


def _unjudged(
    client: Client,
    selection: Selection,
    resolved: Resolved,
    seed: int,
    started: dt.datetime,
    clock: float,
    why: str,
) -> RunReport:
    """The report of a run that preflight stopped: every selected part not exercised, and why."""
    reason = f"not started: preflight failed: {why}"
    verdicts = judge([], resolved.left_out, no_check=reason)
    meta = _meta(client, selection, seed, 0, started, clock, run_tag="")
    return RunReport(meta, verdicts, [reason], stopped=f"preflight failed: {why}", unreachable=True)
