"""Benchmarks: run with `python -m bench`; never part of the test run."""
