"""The wire: an HTTP client that records every exchange, keep-alive, curl renderings, the
one redaction of credentials (`redact.py`), and `Seen`, traffic the suite did not drive."""
