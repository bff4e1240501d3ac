"""Feature store: feature views over offline sources, point-in-time correct training data, and an
online store for serving the latest values."""
