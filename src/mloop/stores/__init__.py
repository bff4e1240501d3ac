"""Storage backends behind small protocols: metadata (SQL), artifacts (fsspec), chosen by URL."""
