"""Benchmarks (``make bench-*``): not timed tests, they print figures for the closing notes."""
