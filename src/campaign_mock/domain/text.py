"""Text that can go out again: what UTF-8 cannot encode (a lone surrogate) is refused on input.

JSON may spell one (`"\\ud800"`) and YAML too; stored, it turned every later answer showing
it into a 500.
"""

from __future__ import annotations


def is_text(value: str) -> bool:
    """True if UTF-8 can encode it: no lone surrogates."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def bad_text(document: object, root: str = "") -> list[str]:
    """The paths (`a.b[2]`) of every key or string in a JSON-like value that is not text."""
    found: list[str] = []
    stack: list[tuple[str, object]] = [(root, document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if not is_text(value):
                found.append(path or "(body)")
        elif isinstance(value, dict):
            for key, item in value.items():
                name = key if not isinstance(key, str) or is_text(key) else ascii(key)
                child = f"{path}.{name}" if path else str(name)
                if isinstance(key, str) and not is_text(key):
                    found.append(child)
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return sorted(found)
