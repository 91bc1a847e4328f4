"""The openapi-python-client people install today, not only the one the dev extra pins.

Since 0.28 its client of openapi.yaml does not import: a required request body of several
media types (POST /campaign, POST /login/) is annotated `| Unset` without importing `Unset`
(its issue #1451). The spec is right to say both (POST needs a body; form, multipart and JSON
are accepted), so docs/integrator.md names the working version and a one-line workaround.
This test proves the workaround gives a working client, and fails once upstream fixes the bug.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from .conftest import NewestGenerator, import_generated
from .test_generated_clients import BASIC

#: The built-in demo account's API key: `/login/` takes it as the password (V-5).
API_KEY = "demo-api-key-0123456789abcdef"
INTEGRATOR = Path(__file__).resolve().parents[2] / "docs" / "integrator.md"
#: The line docs/integrator.md gives, run as written in the directory that holds `duo_client`.
WORKAROUND = "grep -rlw Unset duo_client/api | xargs sed -i '1i from ...types import Unset'"
FIXED_UPSTREAM = (
    "upstream fixed #1451 (openapi-python-client {version} imports): remove the note in "
    "docs/integrator.md and this test"
)


def test_the_newest_generator_needs_the_documented_workaround(
    newest_python_client: NewestGenerator, mock_url: str, tmp_path: Path
) -> None:
    assert WORKAROUND in INTEGRATOR.read_text("utf-8")
    newest_python_client.generate(tmp_path / "duo_client")

    imported = subprocess.run(
        [sys.executable, "-c", "import duo_client.api.campaign.create_campaign"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert imported.returncode != 0, FIXED_UPSTREAM.format(version=newest_python_client.version)
    assert "NameError: name 'Unset' is not defined" in imported.stderr, imported.stderr

    patched = subprocess.run(["bash", "-c", WORKAROUND], cwd=tmp_path, timeout=60)
    assert patched.returncode == 0
    client_package = import_generated(tmp_path, "duo_client")
    models: Any = __import__("duo_client.models", fromlist=["CampaignCreateForm"])
    create: Any = __import__("duo_client.api.campaign.create_campaign", fromlist=["sync"])
    login: Any = __import__("duo_client.api.session.login", fromlist=["sync"])
    client = client_package.AuthenticatedClient(  # type: ignore[attr-defined]
        base_url=mock_url, token=BASIC, prefix="Basic"
    )
    with client:
        for body in (
            models.CampaignCreateForm(name="Form", domain="1", list_="1", segments=["1", "2"]),
            models.CampaignCreateMultipart(name="Parts", domain="1", list_="1", segments=["2"]),
            models.CampaignCreateJson(name="Json", domain=1, list_=1, segments=[1]),
        ):
            created = create.sync(client=client, body=body)
            assert isinstance(created, models.CampaignSuccess), (type(body).__name__, created)
            assert created.data.name == body.name and created.data.state.value == "DRAFT"
    session = client_package.Client(base_url=mock_url)  # type: ignore[attr-defined]
    with session:
        token = login.sync(client=session, body=models.LoginForm(username="demo", password=API_KEY))
    assert type(token).__name__ == "LoginSuccess" and token.data.token, token
