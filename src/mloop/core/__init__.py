"""Shared foundations: configuration, errors, ids, hashing and clocks. Imports nothing above it."""
