"""Benchmarks for ConvCanvas: ``python -m bench`` runs every ``bench/bench_*.py``."""
