"""Benchmarks of the public hot paths against the floor of the framework.

``python -m bench.run`` (``make bench``) seeds fresh databases, serves the
application with gunicorn as in production, loads each hot path from a second
process and compares it with ``bench.floor``, a bare Flask app that returns the
same bytes under the same gunicorn settings. Only ratios taken in one run
compare: the machines are small and shared. See ``docs/PERFORMANCE.md``.
"""
