"""`python -m campaign_mock`: the same as the `campaign-mock` command."""

from __future__ import annotations

from campaign_mock.cli import main

main(prog_name="campaign-mock")
