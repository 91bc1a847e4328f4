"""The engine: the rules registry, checks and probes, the runner, selection and verdicts."""
