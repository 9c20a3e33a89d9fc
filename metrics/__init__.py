"""Partnership Outcomes' domain library (no Streamlit), in layers, each importing only those
below it (import-linter's contracts in ``pyproject.toml``):

- :mod:`metrics.cli` and :mod:`metrics.demo` on top, calling
- :mod:`metrics.services` (actor first: permissions, suppression, decisions), which use
- :mod:`metrics.reports` (what a reader sees, and the board's rules),
- :mod:`metrics.returns` and :mod:`metrics.benchmarks` (reading returns and published files),
- :mod:`metrics.store` (every SQL statement; the only importer of DuckDB),
- :mod:`metrics.core` (the vocabulary, no I/O) at the bottom.
"""
