"""Data quality: validation suites and reports, mergeable profiles, drift, HTML reports.

Heavy work runs in DuckDB and numpy (the `quality` extra), loaded when first used.
"""
