"""Where a served mock leaves its token for local tools: one user-only file per port (as
Jupyter leaves its runtime files), so that `?secrets=1` can need a token always while
`campaign-contract init --from-mock URL` and `campaign-mock token` still find it.

The directory is `$CAMPAIGN_MOCK_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/campaign-mock`, else
`~/.cache/campaign-mock/run`: made 0700, each file written 0600, so only the user who
started the mock (or root) reads the token. campaign-contract reads the same place
(`config/mock_token.py`); the two products agree on this docstring and docs/internals.md,
never on code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

#: The environment variable that moves the directory (tests, several users on one machine).
DIR_VARIABLE = "CAMPAIGN_MOCK_RUNTIME_DIR"


def runtime_dir() -> Path:
    """Where the files live; see the module's docstring."""
    chosen = os.environ.get(DIR_VARIABLE)
    if chosen:
        return Path(chosen)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "campaign-mock"
    return Path.home() / ".cache" / "campaign-mock" / "run"


def file_for(port: int) -> Path:
    return runtime_dir() / f"port-{port}.json"


def announce(url: str, port: int, token: str) -> Path | None:
    """Writes `{url, token, pid}` for `port`, readable by this user only; None (and nothing
    written) when the directory cannot be made or written: the mock serves on regardless,
    and its token is then only what `--control-token` said."""
    path = file_for(port)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump({"url": url, "token": token, "pid": os.getpid()}, out)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        return None
    return path


def withdraw(path: Path) -> None:
    """Removes the file at a clean stop, unless another mock has taken the port since."""
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def token_for(port: int) -> str | None:
    """The token the mock serving on `port` left; None when there is none to read."""
    try:
        found = json.loads(file_for(port).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    token = found.get("token") if isinstance(found, dict) else None
    return token if isinstance(token, str) and token else None
