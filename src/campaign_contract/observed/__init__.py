"""Traffic the suite did not drive: the proxy's relay (`relay.py`), its `--record` file
(`record.py`) and HAR files (`har.py`). An IO layer beside `report/` and the check layers; it
never loads the generators (schemathesis, Hypothesis)."""
