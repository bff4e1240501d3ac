"""The metadata contract suites run on SQLite and PostgreSQL (see `metadata_url` in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mloop.stores.metadata import MetadataStores, open_metadata_stores


@pytest.fixture
def store(metadata_url: str) -> Iterator[MetadataStores]:
    opened = open_metadata_stores(metadata_url)
    yield opened
    opened.close()
