"""The wire: an HTTP client that records every exchange, keep-alive, curl renderings."""
