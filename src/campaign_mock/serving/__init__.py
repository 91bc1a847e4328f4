"""Serving the mock: waitress and granian, the connection layer, the background threads."""
