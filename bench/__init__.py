"""Benchmarks of the engine (run `python -m bench.engine_bench`; see bench/README.md)."""
