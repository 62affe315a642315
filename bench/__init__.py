"""Benchmarks: measured figures and ratios, never part of the test gate."""
