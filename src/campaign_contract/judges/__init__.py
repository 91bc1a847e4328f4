"""No-IO judges of what crossed the wire, shared by `run` and passive traffic (issue 20)."""
