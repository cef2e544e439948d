"""Benchmarks: each compares our path against a named baseline in the same run."""
