"""Benchmarks that run the real stack (Temporal dev server, embedded database, bank simulator)."""
