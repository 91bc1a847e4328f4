"""The test kit: the Python handle, its clock, intercept() and the callback sink."""
