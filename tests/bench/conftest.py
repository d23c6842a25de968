"""Fixtures of the benchmark tests (``seed_catalogue`` lives in tests/factories_listings.py)."""
