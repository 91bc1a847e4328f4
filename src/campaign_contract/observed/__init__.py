"""Traffic the suite did not drive: the proxy relay, its recordings and HAR files."""
