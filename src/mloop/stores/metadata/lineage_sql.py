"""LineageStore over the shared SQL database: artifact records, lineage edges, data fingerprints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from mloop.stores.metadata import schema as t
from mloop.stores.metadata.database import Database, as_record, as_row
from mloop.stores.metadata.records import ArtifactRecord, LineageEdge


class SqlLineageStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    # -------------------------------------------------------------- artifacts
    def record_artifact(self, artifact: ArtifactRecord) -> None:
        with self._db.write() as conn:
            conn.execute(self._db.insert_ignore(t.artifacts), as_row(artifact))

    def get_artifact(self, artifact_id: str) -> ArtifactRecord:
        with self._db.read() as conn:
            row = self._db.by_prefix(conn, t.artifacts, artifact_id, "artifact", "mloop artifacts list")
        return as_record(ArtifactRecord, row)

    def get_artifacts(self, artifact_ids: Sequence[str]) -> dict[str, ArtifactRecord]:
        """The records of these exact ids (missing ids are left out)."""
        if not artifact_ids:
            return {}
        with self._db.read() as conn:
            rows = conn.execute(sa.select(t.artifacts).where(t.artifacts.c.id.in_(list(artifact_ids)))).all()
        return {row.id: as_record(ArtifactRecord, row) for row in rows}

    def list_artifacts(self, limit: int = 50) -> list[ArtifactRecord]:
        """Newest first."""
        query = sa.select(t.artifacts).order_by(t.artifacts.c.created_at.desc()).limit(limit)
        with self._db.read() as conn:
            return [as_record(ArtifactRecord, row) for row in conn.execute(query)]

    # ---------------------------------------------------------------- lineage
    def step_run_edges(self, step_run_ids: Sequence[str]) -> list[LineageEdge]:
        """Every edge into or out of these step runs."""
        return self._edges(t.lineage.c.step_run_id, step_run_ids)

    def artifact_edges(self, artifact_ids: Sequence[str]) -> list[LineageEdge]:
        """Every edge that consumed or produced these artifacts."""
        return self._edges(t.lineage.c.artifact_id, artifact_ids)

    def _edges(self, column: sa.Column[Any], values: Sequence[str]) -> list[LineageEdge]:
        if not values:
            return []
        with self._db.read() as conn:
            rows = conn.execute(sa.select(t.lineage).where(column.in_(list(values)))).all()
        return [LineageEdge(**row._mapping) for row in rows]

    # ---------------------------------------------------------- fingerprints
    def find_fingerprint(self, path: str, fingerprint: str) -> str | None:
        """The artifact id recorded for `path` with this fingerprint, or None."""
        f = t.data_fingerprints
        with self._db.read() as conn:
            row = conn.execute(sa.select(f.c.artifact_id).where(f.c.path == path, f.c.fingerprint == fingerprint)).first()
        return row[0] if row else None

    def put_fingerprint(self, path: str, fingerprint: str, artifact_id: str) -> None:
        f = t.data_fingerprints
        with self._db.write() as conn:
            conn.execute(f.delete().where(f.c.path == path))
            conn.execute(f.insert(), {"path": path, "fingerprint": fingerprint, "artifact_id": artifact_id})
