"""The token a local campaign-mock wants for `?secrets=1`, found where the mock leaves it.

`campaign-mock serve` writes `{url, token, pid}` to `port-<PORT>.json` in
`$CAMPAIGN_MOCK_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/campaign-mock`, else
`~/.cache/campaign-mock/run`, readable by its user alone (docs/internals.md). The suite never
imports the mock: it reads that documented file, and only for a URL on this machine.
"""

from __future__ import annotations

import ipaddress
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

#: What `campaign-mock serve --control-token` reads too: given, it wins over any file.
TOKEN_VARIABLE = "CAMPAIGN_MOCK_CONTROL_TOKEN"


def runtime_dir() -> Path:
    chosen = os.environ.get("CAMPAIGN_MOCK_RUNTIME_DIR")
    if chosen:
        return Path(chosen)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "campaign-mock"
    return Path.home() / ".cache" / "campaign-mock" / "run"


def mock_token(url: str) -> str | None:
    """`$CAMPAIGN_MOCK_CONTROL_TOKEN`, else the token the mock at `url` left on this machine
    (only when `url` names a loopback address or `localhost`); None when neither is there."""
    given = os.environ.get(TOKEN_VARIABLE)
    if given:
        return given
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if not _is_local(parts.hostname or ""):
        return None
    try:
        found = json.loads((runtime_dir() / f"port-{port}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    token = found.get("token") if isinstance(found, dict) else None
    return token if isinstance(token, str) and token else None


def _is_local(host: str) -> bool:
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
