"""`python -m campaign_contract`: the command line."""

from __future__ import annotations

from campaign_contract.entry import main

main()
