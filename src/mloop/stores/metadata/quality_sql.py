"""QualityStore over the shared SQL database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

import sqlalchemy as sa

from mloop.core.clock import utcnow
from mloop.stores.metadata import schema as t
from mloop.stores.metadata.database import Database, as_record
from mloop.stores.metadata.quality import QualityReportRecord


class SqlQualityStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    def link_profile(self, subject: str, profile_id: str) -> None:
        p = t.data_profiles
        values = {"profile_id": profile_id, "created_at": utcnow()}
        with self._db.write() as conn:
            if conn.execute(p.update().where(p.c.subject == subject).values(**values)).rowcount:
                return
            try:
                with conn.begin_nested():  # a savepoint: a lost race must not abort the transaction
                    conn.execute(p.insert(), {"subject": subject, **values})
            except sa.exc.IntegrityError:  # another process linked the same subject meanwhile
                conn.execute(p.update().where(p.c.subject == subject).values(**values))

    def profiles_of(self, subjects: Sequence[str]) -> dict[str, str]:
        if not subjects:
            return {}
        p = t.data_profiles
        with self._db.read() as conn:
            rows = conn.execute(sa.select(p.c.subject, p.c.profile_id).where(p.c.subject.in_(list(subjects)))).all()
        return {subject: profile for subject, profile in rows}

    def add_report(self, report: QualityReportRecord) -> None:
        with self._db.write() as conn:
            conn.execute(t.quality_reports.insert(), asdict(report))

    def list_reports(self, *, kind: str | None = None, run_id: str | None = None, subject: str | None = None,
                     limit: int = 100) -> list[QualityReportRecord]:
        q = t.quality_reports
        query = sa.select(q).order_by(q.c.created_at.desc(), q.c.id.desc()).limit(limit)
        for column, value in ((q.c.kind, kind), (q.c.run_id, run_id), (q.c.subject, subject)):
            if value is not None:
                query = query.where(column == value)
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        return [as_record(QualityReportRecord, row) for row in rows]
