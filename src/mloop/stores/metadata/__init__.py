from mloop.stores.metadata.base import MetadataStore
from mloop.stores.metadata.records import (
    ArtifactRecord,
    LineageEdge,
    RunRecord,
    StepExecutionRecord,
    StepRunRecord,
)
from mloop.stores.metadata.sql import SqlMetadataStore

__all__ = ["ArtifactRecord", "StepExecutionRecord", "LineageEdge", "MetadataStore", "RunRecord", "SqlMetadataStore", "StepRunRecord",
           "open_metadata_store"]


def open_metadata_store(url: str) -> MetadataStore:
    """The metadata store for a database URL (sqlite:///... or postgresql://...)."""
    return SqlMetadataStore(url)
