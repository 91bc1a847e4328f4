"""Traffic the suite did not drive: the proxy's relay (`relay.py`) and its `--record` file
(`record.py`). An IO layer beside `report/` and the check layers; it never loads the
generators (schemathesis, Hypothesis)."""
