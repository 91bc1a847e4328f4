"""The mock's pure core: models, rules and the backend; no IO (see README.md)."""
