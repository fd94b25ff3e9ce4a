"""Benchmarks and the national simulation (`make bench`); not collected by pytest."""
