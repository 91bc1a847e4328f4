"""The clause table as text (for `campaign-contract rules --coverage`) and as docs/coverage.md."""

from __future__ import annotations

from collections.abc import Iterator

from campaign_contract.coverage import Clause, all_clauses, rules

HEADER = """\
# Clause coverage

CONTRACT.md split into its clauses (each "at most", "only after", "each", "never", each state,
each status code, each limit on both sides of its boundary). Each clause names the checks of
the contract suite that judge it and the broken variants of the mock (`tests/contract/`) that
break that clause alone and that the suite fails; a clause no check can judge from outside
says why. Generated from `src/campaign_contract/coverage/*.yaml` by
`python -m campaign_contract.coverage.table > docs/coverage.md`
(`campaign-contract rules --coverage` prints the same table);
`tests/contract_suite/test_coverage.py` fails when this page is stale or a clause has neither.
"""


def summary(clauses: tuple[Clause, ...]) -> str:
    judged = sum(1 for c in clauses if c.checks and c.variants and not c.outside)
    outside = sum(1 for c in clauses if c.outside)
    open_ = len(clauses) - judged - outside
    parts = {c.part for c in clauses}
    return (
        f"{len(clauses)} clauses over {len(parts)} of {len(rules.all_parts())} rule parts: "
        f"{judged} judged by a check and proved by a variant, {outside} outside the suite's "
        f"reach, {open_} open"
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(f"`{n}`" for n in names) or "none"


def render_markdown(clauses: tuple[Clause, ...] | None = None) -> str:
    """docs/coverage.md: one table per rule group."""
    clauses = all_clauses() if clauses is None else clauses
    lines = [HEADER, summary(clauses) + ".", ""]
    for group, section in rules.GROUPS.items():
        mine = [c for c in clauses if c.part.split("-", 1)[0] == group]
        if not mine:
            continue
        lines += [f"## {group}: {section}", ""]
        lines += ["| Clause | Part | Text | Checks | Variants |", "|---|---|---|---|---|"]
        for c in mine:
            proof = _names(c.variants) if not c.outside else f"outside: {c.outside}"
            lines.append(
                f"| `{c.id}` | {c.part} | {_cell(c.text)} | {_names(c.checks)} | {_cell(proof)} |"
            )
        lines.append("")
    return "\n".join(lines)


def render_text(clauses: tuple[Clause, ...] | None = None) -> Iterator[str]:
    """The terminal listing: each clause, then its checks and variants or its reason."""
    clauses = all_clauses() if clauses is None else clauses
    for c in clauses:
        yield f"{c.id:<34} {c.part:<5} {c.text}"
        yield f"{'':<6}checks:   {', '.join(c.checks) or '-'}"
        if c.outside:
            yield f"{'':<6}outside:  {c.outside}"
        else:
            yield f"{'':<6}variants: {', '.join(c.variants) or '-'}"
    yield summary(clauses)


if __name__ == "__main__":
    print(render_markdown(), end="")
