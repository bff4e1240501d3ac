"""The metadata store: one SQL database (SQLite or PostgreSQL), one Alembic migration history, and
one small role store per domain over it. A role is a Protocol with its contract in the docstring
(runs.py, lineage.py, tracking.py, registry.py) and a SQL implementation (`*_sql.py`) holding
only data operations; policy (what may be promoted, what counts as a cache hit) lives in the
domain package. `open_metadata_stores(url)` gives them all, sharing one `Database`.

Adding a domain (data quality, features, serving, monitoring, ...):
1. tables in schema.py, and a new revision in migrations/versions/ (next number, `down_revision`
   the current head); bump engine.HEAD_REVISION;
2. `<domain>.py`: the records it hands out (plain dataclasses) and a `<Domain>Store` Protocol
   whose docstring says what a miss returns and what is idempotent;
3. `<domain>_sql.py`: `Sql<Domain>Store(database)` using `database.read()`/`write()`, one
   transaction per method, under ~400 lines;
4. a field on `MetadataStores` (below) and a property on `Workspace`;
5. tests/stores/metadata/test_<domain>_store.py, run on SQLite and PostgreSQL via `metadata_url`.
Never add the domain's methods to another role's store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mloop.stores.metadata.access import AccessStore
from mloop.stores.metadata.deployments import DeploymentStore
from mloop.stores.metadata.features import FeatureDefinitionStore
from mloop.stores.metadata.lineage import LineageStore
from mloop.stores.metadata.monitors import MonitorStore
from mloop.stores.metadata.predictions import PredictionRecord, PredictionSegment, PredictionStore
from mloop.stores.metadata.quality import QualityReportRecord, QualityStore
from mloop.stores.metadata.records import (
    ArtifactRecord,
    LineageEdge,
    RunRecord,
    StepExecutionRecord,
    StepRunRecord,
)
from mloop.stores.metadata.registry import RegistryStore
from mloop.stores.metadata.runs import RunStore
from mloop.stores.metadata.schedules import ScheduleStore
from mloop.stores.metadata.tracking import TrackingStore

if TYPE_CHECKING:
    from mloop.stores.metadata.database import Database

__all__ = ["AccessStore", "ArtifactRecord", "DeploymentStore", "FeatureDefinitionStore", "LineageEdge", "LineageStore", "MetadataStores", "MonitorStore",
           "PredictionRecord", "PredictionSegment", "PredictionStore", "QualityReportRecord", "QualityStore",
           "RegistryStore", "RunRecord", "RunStore", "ScheduleStore", "StepExecutionRecord", "StepRunRecord", "TrackingStore", "open_metadata_stores"]


@dataclass(frozen=True)
class MetadataStores:
    """The role stores of one database."""

    database: Database
    runs: RunStore
    lineage: LineageStore
    tracking: TrackingStore
    registry: RegistryStore
    quality: QualityStore
    features: FeatureDefinitionStore
    deployments: DeploymentStore
    predictions: PredictionStore
    monitors: MonitorStore
    schedules: ScheduleStore
    access: AccessStore

    @property
    def url(self) -> str:
        return self.database.url

    @property
    def supports_remote_access(self) -> bool:
        return self.database.supports_remote_access

    def check_writable(self) -> None:
        """Create the database if need be (reads never do); ConfigError when it cannot be written."""
        self.database.check_writable()

    def close(self) -> None:
        """Close the database's connections (the stores open them again when used)."""
        self.database.close()


def open_metadata_stores(url: str) -> MetadataStores:
    """The role stores for a database URL (sqlite:///... or postgresql://...); no I/O until used."""
    from mloop.stores.metadata.access_sql import SqlAccessStore
    from mloop.stores.metadata.database import Database
    from mloop.stores.metadata.deployments_sql import SqlDeploymentStore
    from mloop.stores.metadata.features_sql import SqlFeatureDefinitionStore
    from mloop.stores.metadata.lineage_sql import SqlLineageStore
    from mloop.stores.metadata.monitors_sql import SqlMonitorStore
    from mloop.stores.metadata.predictions_sql import SqlPredictionStore
    from mloop.stores.metadata.quality_sql import SqlQualityStore
    from mloop.stores.metadata.registry_sql import SqlRegistryStore
    from mloop.stores.metadata.runs_sql import SqlRunStore
    from mloop.stores.metadata.schedules_sql import SqlScheduleStore
    from mloop.stores.metadata.tracking_sql import SqlTrackingStore

    database = Database(url)
    return MetadataStores(database, SqlRunStore(database), SqlLineageStore(database), SqlTrackingStore(database),
                          SqlRegistryStore(database), SqlQualityStore(database),
                          SqlFeatureDefinitionStore(database), SqlDeploymentStore(database),
                          SqlPredictionStore(database), SqlMonitorStore(database), SqlScheduleStore(database),
                          SqlAccessStore(database))
