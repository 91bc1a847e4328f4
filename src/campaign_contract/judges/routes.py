"""The API's routes (R-1, V-4 step 1): which paths and methods exist, and what routing must
answer for any method and path, whoever sent it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

#: A path id every server must route (V-4 step 1); leading zeros are where servers differ.
POSITIVE_ID: Final = re.compile(r"^[1-9][0-9]*$")
#: Ids a server may read as positive integers or answer 404 (CONTRACT.md: leading zeros).
ZERO_PADDED_ID: Final = re.compile(r"^0+[1-9][0-9]*$")
#: The methods each path has (openapi.yaml; HEAD and OPTIONS where GET is, V-4).
HAS: Final = {
    "/campaign": ("POST",),
    "/campaign/{id}": ("GET", "HEAD", "OPTIONS", "PUT", "DELETE"),
    "/login/": ("POST",),
    "/logout/": ("POST",),
}
#: The methods each path lacks (V-4: 405). HEAD and OPTIONS are left out where GET is not:
#: whether a path without GET "has" them CONTRACT.md does not say.
LACKING: Final = {
    "/campaign": ("GET", "PUT", "DELETE", "PATCH"),
    "/campaign/{id}": ("POST", "PATCH"),
    "/login/": ("GET", "PUT", "DELETE", "PATCH"),
    "/logout/": ("GET", "PUT", "DELETE", "PATCH"),
}


@dataclass(frozen=True, slots=True)
class Route:
    """What routing makes of one request (V-4 step 1)."""

    #: openapi.yaml's path the request names, None for a path that does not exist.
    template: str | None
    #: The id segment as sent, for `/campaign/{id}`.
    ident: str | None
    #: What routing must answer: 404, 405, or None (routed: the later steps judge it).
    status: int | None
    #: False where CONTRACT.md lets servers differ (a zero-padded id, `/login` without its
    #: slash, a method the path neither has nor lacks): then `status` binds no server.
    certain: bool = True


def _item(rest: str) -> Route:
    ident = rest[:-1] if rest.endswith("/") else rest
    if POSITIVE_ID.match(ident):
        return Route("/campaign/{id}", ident, None)
    if ZERO_PADDED_ID.match(ident):
        return Route("/campaign/{id}", ident, None, certain=False)
    return Route(None, ident or None, 404)  # not a positive integer, or a longer path


def classify(method: str, path: str) -> Route:
    """Routing's answer to `method` on `path` (its query ignored; R-1p: one trailing slash)."""
    bare = path.split("?", 1)[0]
    if bare in ("/campaign", "/campaign/"):
        route = Route("/campaign", None, None)
    elif bare.startswith("/campaign/"):
        route = _item(bare[len("/campaign/") :])
    elif bare in ("/login/", "/logout/"):
        route = Route(bare, None, None)
    elif bare in ("/login", "/logout"):
        route = Route(f"{bare}/", None, None, certain=False)
    else:
        route = Route(None, None, 404)
    if route.template is None:
        return route
    if method in LACKING[route.template]:
        return Route(route.template, route.ident, 405, route.certain)
    if method not in HAS[route.template]:
        return Route(route.template, route.ident, None, certain=False)
    return route


def path_class(template: str, sent_path: str, ident: int | None) -> tuple[bool, bool]:
    """(routable, judged) of a request made for `template`: whether every server must route
    the path's id (else 404, V-4 step 1), and whether the judge knows what it names (the
    campaign `ident`, or no id at all)."""
    if "{id}" not in template:
        return True, True
    segment = sent_path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    if not sent_path.split("?", 1)[0].rstrip("/").startswith("/campaign/"):
        return True, False  # the id was empty: the path is another route
    if POSITIVE_ID.match(segment):
        return True, ident is not None and segment == str(ident)
    return bool(ZERO_PADDED_ID.match(segment)), False
