"""Benchmarks of ecoserve-opt at fleet scale (not part of the installed package)."""
