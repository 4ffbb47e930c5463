"""Benchmarks, run by hand (see README); each prints a table with its ceiling from the same run."""
