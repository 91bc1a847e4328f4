"""The check registry, selections, and a run's handling of checks that crash or skip."""

from __future__ import annotations

import threading

import pytest

import campaign_contract
from campaign_contract.config.model import Config
from campaign_contract.engine.context import RunContext
from campaign_contract.engine.layers import LAYERS, load_layers
from campaign_contract.engine.outcome import Status
from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import REGISTRY, CheckRegistry
from campaign_contract.engine.runner import run_selection
from campaign_contract.engine.selection import Selection, SelectionError, resolve


def test_public_api_is_pinned() -> None:
    assert sorted(campaign_contract.__all__) == [
        "Config",
        "ConfigError",
        "Probe",
        "Selection",
        "Status",
        "__version__",
        "check",
        "load_config",
        "run_selection",
    ]


def test_every_layer_is_importable_and_every_check_names_known_rules() -> None:
    assert load_layers() == LAYERS
    assert len(REGISTRY) > 10
    for check in REGISTRY:
        assert check.description != check.name, f"{check.name} needs a docstring"


def test_registration_rejects_unknown_rules_and_duplicates() -> None:
    registry = CheckRegistry()

    @registry.check("V-2", name="one")
    def one(t: Probe) -> None:
        """Docstring."""

    with pytest.raises(ValueError, match="twice"):
        registry.check("V-2", name="one")(one)
    with pytest.raises(KeyError, match="Z-1"):
        registry.check("Z-1", name="two")(one)


def test_a_crashing_check_blames_no_rule_and_the_run_goes_on(
    conforming_url: str, config: Config
) -> None:
    registry = CheckRegistry()

    @registry.check("V-2", name="crashes")
    def crashes(t: Probe) -> None:
        """Crashes after a request."""
        t.get("/campaign/1")
        raise RuntimeError("bug in the suite")

    @registry.check("V-1", name="skips")
    def skips(t: Probe) -> None:
        """Cannot run."""
        t.skip("needs a thing")

    @registry.check("R-1", name="passes")
    def passes(t: Probe) -> None:
        """Passes."""
        t.expect(t.get("/campaign/abc").status == 404, "R-1", "routed")

    report = run_selection(config, base_url=conforming_url, registry=registry, seed=1)
    by_rule = {v.rule: v for v in report.verdicts}
    # A suite bug is not the server's failure: not exercised, named in the reason and warnings.
    assert by_rule["V-2"].status is Status.NOT_EXERCISED
    assert "crashed" in by_rule["V-2"].reason and "bug in the suite" in by_rule["V-2"].reason
    assert any(w.startswith("check crashes: the check itself crashed") and "bug in the suite" in w
               for w in report.warnings)  # fmt: skip
    assert not report.ok
    assert (
        by_rule["V-1"].status is Status.NOT_EXERCISED and "needs a thing" in by_rule["V-1"].reason
    )
    assert by_rule["R-1"].status is Status.PASS
    assert by_rule["Q-4"].status is Status.NOT_EXERCISED


def test_selection_by_level_group_rule_and_layer() -> None:
    load_layers()
    core = resolve(Selection(level="core"), REGISTRY, LAYERS)
    assert "V-4" in core.left_out and "V-1" in core.parts
    only_v1 = resolve(Selection(only=("V-1",)), REGISTRY, LAYERS)
    assert only_v1.parts == {"V-1", "V-1p"}
    assert all({"V-1", "V-1p"} & set(c.rules) for c in only_v1.checks)
    skipped = resolve(Selection(skip=("robustness",)), REGISTRY, LAYERS)
    assert not [c for c in skipped.checks if c.layer == "robustness"]
    layer = resolve(Selection(only=("robustness",)), REGISTRY, LAYERS)
    assert "Q-4" in layer.left_out and "V-2" in layer.parts


def test_an_unknown_token_is_a_selection_error() -> None:
    with pytest.raises(SelectionError, match="'W'"):
        resolve(Selection(only=("W",)), REGISTRY, LAYERS)


def test_only_a_check_name_runs_that_check_alone_over_its_parts() -> None:
    load_layers()
    resolved = resolve(Selection(only=("robustness.every_response_of_the_run",)), REGISTRY,
                       REGISTRY.layers())  # fmt: skip
    assert [c.name for c in resolved.checks] == ["robustness.every_response_of_the_run"]
    assert resolved.parts == {"V-2", "V-4"}
    skipped = resolve(Selection(only=("V-2",), skip=("robustness.every_response_of_the_run",)),
                      REGISTRY, REGISTRY.layers())  # fmt: skip
    assert "robustness.every_response_of_the_run" not in {c.name for c in skipped.checks}
    assert skipped.checks


def test_work_a_check_begins_overlaps_the_checks_before_it(
    conforming_url: str, config: Config
) -> None:
    """A check with `begin=` has its work started as the run starts (the callbacks layer's
    sends and their wait): a check that runs earlier finds it under way, the check itself
    finds it made, and it is made once."""
    registry = CheckRegistry()
    started, made = threading.Event(), []
    seen: dict[str, object] = {}

    def wait_for_callbacks() -> str:
        started.set()
        made.append(threading.current_thread().name)
        return "observed"

    def begin(ctx: RunContext) -> None:
        ctx.begin("waits", wait_for_callbacks)

    @registry.check("V-1", name="first")
    def first(t: Probe) -> None:
        """Runs first, with nothing of its own to wait for."""
        seen["under way"] = started.wait(10)

    @registry.check("C-1", name="waits", begin=begin)
    def waits(t: Probe) -> None:
        """Judges what the begun work made."""
        seen["made"] = t.ctx.shared("waits", lambda: "made again")

    run_selection(config, base_url=conforming_url, registry=registry, seed=1)
    assert seen == {"under way": True, "made": "observed"}
    assert made == ["campaign-contract waits"]


def test_begun_work_stops_when_the_run_ends_without_it(conforming_url: str, config: Config) -> None:
    """A run whose waiting check never runs (not selected, the deadline) stops the begun work
    at its close: `ctx.stopping` is set, and the work is joined before the cleanup."""
    registry = CheckRegistry()
    stopped: list[bool] = []

    def begin(ctx: RunContext) -> None:
        ctx.begin("waits", lambda: stopped.append(ctx.stopping.wait(30)))

    @registry.check("C-1", name="waits", begin=begin)
    def waits(t: Probe) -> None:
        """Skipped before it asks for the begun work."""
        t.skip("not this time")

    run_selection(config, base_url=conforming_url, registry=registry, seed=1)
    assert stopped == [True]
