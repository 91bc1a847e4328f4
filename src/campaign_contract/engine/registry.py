"""The check registry: checks register with a decorator naming the rule parts they exercise."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from campaign_contract.coverage import rules

if TYPE_CHECKING:
    from campaign_contract.engine.context import RunContext
    from campaign_contract.engine.probe import Probe

CheckFunction = Callable[["Probe"], None]
#: Work a check needs begun as the run starts (RunContext.begin), so its waiting overlaps
#: the checks before it: the callbacks layer's sends.
Beginning = Callable[["RunContext"], None]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    rules: tuple[str, ...]
    layer: str
    func: CheckFunction
    #: Final checks run after all others (they judge the whole run's history).
    final: bool = False
    #: Called once per run before any check, for every distinct one of the checks run.
    begin: Beginning | None = None

    @property
    def description(self) -> str:
        doc = (self.func.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else self.name


def _layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if parts[0] == "campaign_contract" and len(parts) > 1 else parts[-1]


class CheckRegistry:
    """An ordered set of checks; the default one is `REGISTRY`, tests may make their own."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def register(self, check: Check) -> None:
        if check.name in self._checks:
            raise ValueError(f"check {check.name!r} is registered twice")
        if not check.rules:
            raise ValueError(f"check {check.name!r} names no rule")
        for rule_id in check.rules:
            rules.part(rule_id)
        self._checks[check.name] = check

    def check(
        self,
        *rule_ids: str,
        name: str | None = None,
        layer: str | None = None,
        final: bool = False,
        begin: Beginning | None = None,
    ) -> Callable[[CheckFunction], CheckFunction]:
        """Register the decorated function as a check of these rule parts."""

        def decorate(func: CheckFunction) -> CheckFunction:
            layer_name = layer or _layer_of(func.__module__)
            self.register(
                Check(
                    name=name or f"{layer_name}.{func.__name__}",
                    rules=tuple(rule_ids),
                    layer=layer_name,
                    func=func,
                    final=final,
                    begin=begin,
                )
            )
            return func

        return decorate

    def __iter__(self) -> Iterator[Check]:
        return iter(self._checks.values())

    def __len__(self) -> int:
        return len(self._checks)

    def layers(self) -> set[str]:
        return {c.layer for c in self}


REGISTRY = CheckRegistry()
#: `@check("V-4", "V-3p")` registers a function in the default registry.
check = REGISTRY.check
