"""Benchmarks: `make bench-...` targets run these and write JSON here."""
