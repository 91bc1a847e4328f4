"""Reading a fixtures file's YAML within bounds, from libyaml's events, in one pass.

`yaml.safe_load` expands aliases (a 472-byte file became 3 GB), builds a node per value
before any check, recurses (a RecursionError 3,000 lines long) and keeps the last of two
equal keys. Here every bound is checked as the events arrive: no alias, at most MAX_DEPTH
levels and MAX_NODES values, no key twice; every refusal is one line naming the path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from .domain.errors import FixturesError

#: A fixtures file's size limit; a list of millions is `generate`d, never written out.
MAX_FILE = 10 * 1024 * 1024
#: Deeper than the fixtures' shape (5 levels) needs.
MAX_DEPTH = 32
#: Values (scalars, lists, mappings) in one document.
MAX_NODES = 2_000_000

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(slots=True)
class _Open:
    """A list or mapping being built; a mapping alternates key and value."""

    value: list[Any] | dict[Any, Any]
    path: str
    key: Any = None
    expecting_key: bool = True
    keys: set[Any] = field(default_factory=set)


def load_yaml(text: str) -> object:
    """The one document in `text`, or FixturesError with the problem and its path."""
    loader = _Loader(text)
    try:
        return _build(loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = _short(str(exc.problem or exc.context or "syntax error"))
        raise FixturesError(f"not valid YAML or JSON{where}: {problem}") from None
    except yaml.YAMLError:
        raise FixturesError("not valid YAML or JSON") from None
    finally:
        loader.dispose()


def _build(loader: Any) -> object:
    stack: list[_Open] = []
    document: object = None
    nodes = 0
    while True:
        event = loader.get_event()
        if isinstance(event, yaml.StreamEndEvent):
            return document
        if isinstance(event, yaml.DocumentStartEvent) and document is not None:
            raise FixturesError(f"{_at(event)}: a second YAML document; a file holds one")
        if isinstance(event, yaml.AliasEvent):
            anchor = _short(event.anchor or "", 40)
            raise FixturesError(f"{_child_path(stack)}: YAML aliases (*{anchor}) are refused")
        if isinstance(event, yaml.CollectionEndEvent):
            done = stack.pop()
            _place(stack, done.value, event, loader)
            if not stack:
                document = done.value
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue
        nodes += 1
        if nodes > MAX_NODES:
            raise FixturesError(f"{_child_path(stack)}: more than {MAX_NODES} values in the file")
        path = _child_path(stack)
        if isinstance(event, yaml.ScalarEvent):
            value = _scalar(loader, event, path)
            if not stack:
                document = value
            _place(stack, value, event, loader)
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise FixturesError(f"{path}: nested more than {MAX_DEPTH} deep")
            if stack and stack[-1].expecting_key and isinstance(stack[-1].value, dict):
                raise FixturesError(f"{path}: a mapping key must be a plain value")
            start = isinstance(event, yaml.SequenceStartEvent)
            stack.append(_Open([] if start else {}, path))


def _place(stack: list[_Open], value: Any, event: Any, loader: Any) -> None:
    if not stack:
        return
    top = stack[-1]
    if isinstance(top.value, list):
        top.value.append(value)
    elif top.expecting_key:
        if value in top.keys:
            path = f"{top.path}.{_short(str(value), 60)}" if top.path else _short(str(value), 60)
            raise FixturesError(f"{path}: given more than once ({_at(event)})")
        top.keys.add(value)
        top.key, top.expecting_key = value, False
    else:
        top.value[top.key] = value
        top.expecting_key = True


def _child_path(stack: list[_Open]) -> str:
    """The path of the value the next event makes: `lists[0].contacts[3].id`."""
    if not stack:
        return "fixtures"
    top = stack[-1]
    if isinstance(top.value, list):
        return f"{top.path}[{len(top.value)}]"
    if top.expecting_key:
        return top.path
    return f"{top.path}.{_short(str(top.key), 60)}"


def _scalar(loader: Any, event: Any, path: str) -> Any:
    """A scalar as safe_load makes it (int, float, bool, null, str, date), refused if odd."""
    tag = event.tag
    if tag is None or tag == "!":
        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == "tag:yaml.org,2002:merge":
        raise FixturesError(f"{path}: YAML merge keys (<<) are refused ({_at(event)})")
    construct = loader.yaml_constructors.get(tag)
    if construct is None:
        raise FixturesError(f"{path}: the tag {_short(tag, 60)} is not allowed ({_at(event)})")
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    try:
        return construct(loader, node)
    except (ValueError, OverflowError, yaml.YAMLError):
        raise FixturesError(
            f"{path}: cannot read {tag.rsplit(':', 1)[-1]} ({_at(event)})"
        ) from None


def _at(event: Any) -> str:
    mark = event.start_mark
    return f"line {mark.line + 1}" if mark is not None else "somewhere"


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
