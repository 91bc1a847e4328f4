"""One-cell broken variant of V-5's cookie: ONE method ignores `sergiosgc_auth`, every other
request is answered as the mock does."""

from __future__ import annotations

from typing import Any

from flask import Flask

from .clause_variants_vrq import Inner, Response, _around
from .variants import variant


@variant("v_cookie_ignored_on_delete", ("V-5",), ("V-5",),
         "DELETE /campaign/{id} ignores the sergiosgc_auth cookie (Basic still works)")  # fmt: skip
def _v_cookie_ignored_on_delete(app: Flask) -> None:
    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        if environ["REQUEST_METHOD"] == "DELETE":
            environ.pop("HTTP_COOKIE", None)
        return inner()

    _around(rewrite)(app)
