"""The judges: one per clause, no IO, fed by `run`'s checks or by observed traffic (issue 20)."""
