"""The suite's YAML configuration, its variables and the files `init` writes."""
