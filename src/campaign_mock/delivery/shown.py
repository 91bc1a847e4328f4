"""A callback URL as the log shows it: no userinfo, and no value of a query parameter whose
name says it is a secret (`token`, `api_key`, `password`...). A log lands in terminals, CI
logs and screen shares; the delivery journal (`/_mock/deliveries`) keeps the URL as given."""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

#: What a secret is shown as.
HIDDEN = "***"
#: Query parameter names that hold a secret, matched anywhere in the name (`x-api-key`,
#: `access_token`, `client_secret`, `sig`...), case-insensitively.
_SECRET_NAME = re.compile(
    r"pass|pwd|secret|token|key|auth|session|sig|credential|jwt|bearer|private", re.I
)


@functools.lru_cache(maxsize=1024)
def shown_url(url: str) -> str:
    """`url` without its secrets; a URL that cannot be parsed shows as its scheme and host
    at most, never as given."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return f"{url.split(':', 1)[0]}://(unparseable URL)"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    if "@" in parts.netloc:
        netloc = f"{HIDDEN}@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, _shown_query(parts.query), ""))


def _shown_query(query: str) -> str:
    pairs = query.split("&") if query else []
    for index, pair in enumerate(pairs):
        name = pair.partition("=")[0]
        if _SECRET_NAME.search(unquote_plus(name)):
            pairs[index] = f"{name}={HIDDEN}"
    return "&".join(pairs)
