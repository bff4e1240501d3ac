"""ScheduleStore over the shared SQL database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from mloop.core.clock import as_utc, utcnow
from mloop.core.errors import ConflictError
from mloop.stores.metadata import schema as t
from mloop.stores.metadata.database import Database, as_record, as_row
from mloop.stores.metadata.schedules import FireRecord, ScheduleRecord, SchedulerRecord, TriggerRecord


class SqlScheduleStore:
    def __init__(self, database: Database) -> None:
        self._db = database

    # schedules

    def add_schedule(self, schedule: ScheduleRecord) -> None:
        s = t.schedules
        with self._db.write() as conn:
            if conn.execute(sa.select(s.c.name).where(s.c.name == schedule.name)).first() is not None:
                raise ConflictError(f"schedule {schedule.name!r} exists; remove it first with: "
                                    f"mloop schedule remove {schedule.name}")
            conn.execute(s.insert(), asdict(schedule))

    def replace_schedule(self, schedule: ScheduleRecord) -> None:
        s = t.schedules
        with self._db.write() as conn:
            conn.execute(s.delete().where(s.c.name == schedule.name))
            conn.execute(s.insert(), asdict(schedule))

    def get_schedule(self, name: str) -> ScheduleRecord | None:
        with self._db.read() as conn:
            row = conn.execute(sa.select(t.schedules).where(t.schedules.c.name == name)).first()
        return as_record(ScheduleRecord, row) if row else None

    def list_schedules(self) -> list[ScheduleRecord]:
        with self._db.read() as conn:
            rows = conn.execute(sa.select(t.schedules).order_by(t.schedules.c.name)).all()
        return [as_record(ScheduleRecord, row) for row in rows]

    def remove_schedule(self, name: str) -> bool:
        s, f = t.schedules, t.schedule_fires
        with self._db.write() as conn:
            conn.execute(f.delete().where(f.c.source == "schedule", f.c.schedule == name))
            return bool(conn.execute(s.delete().where(s.c.name == name)).rowcount)

    def set_paused(self, name: str, paused: bool, next_due_at: datetime | None, at: datetime) -> bool:
        s = t.schedules
        values: dict[str, Any] = {"paused": paused, "updated_at": at}
        if next_due_at is not None:
            values["next_due_at"] = next_due_at
        with self._db.write() as conn:
            return bool(conn.execute(s.update().where(s.c.name == name).values(**values)).rowcount)

    def due_schedules(self, now: datetime) -> list[ScheduleRecord]:
        s = t.schedules
        query = self._db.statement("due-schedules", lambda: sa.select(s).where(
            s.c.paused.is_(False), s.c.next_due_at <= sa.bindparam("now")).order_by(s.c.next_due_at, s.c.name))
        with self._db.read() as conn:
            rows = conn.execute(query, {"now": now}).all()
        return [as_record(ScheduleRecord, row) for row in rows]

    def earliest_due(self) -> datetime | None:
        s = t.schedules
        with self._db.read() as conn:
            value = conn.execute(sa.select(sa.func.min(s.c.next_due_at)).where(s.c.paused.is_(False))).scalar()
        return _utc(value)

    # fires

    def claim(self, fires: Sequence[FireRecord], next_due: dict[str, datetime]) -> list[FireRecord]:
        if not fires:
            return []
        f, s = t.schedule_fires, t.schedules
        # One executemany with RETURNING (SQLAlchemy batches it into multi-row INSERTs compiled
        # once): a row that conflicts returns nothing, so what comes back is what this caller won.
        statement = self._db.statement("claim-fires", lambda: self._db.insert(f).on_conflict_do_nothing()
                                       .returning(f.c.source, f.c.schedule, f.c.due_at))
        with self._db.write() as conn:
            returned = conn.execute(statement, [as_row(fire) for fire in fires]).all()
            won = {(source, name, _utc(due)) for source, name, due in returned}
            # Both only move forward, so schedulers racing on one schedule leave it at the newest values
            # (a lost claim moves next_due_at too: the winner's may commit before or after ours).
            moved = [{"b_name": name, "b_next": due} for name, due in next_due.items()]
            if moved:
                conn.execute(s.update().where(s.c.name == sa.bindparam("b_name"), s.c.next_due_at < sa.bindparam("b_next"))
                             .values(next_due_at=sa.bindparam("b_next")), moved)
            last = [{"b_name": fire.schedule, "b_last": fire.due_at} for fire in fires
                    if fire.source == "schedule" and (fire.source, fire.schedule, fire.due_at) in won]
            if last:
                conn.execute(s.update().where(s.c.name == sa.bindparam("b_name"),
                                              sa.or_(s.c.last_due_at.is_(None), s.c.last_due_at < sa.bindparam("b_last")))
                             .values(last_due_at=sa.bindparam("b_last")), last)
        return [fire for fire in fires if (fire.source, fire.schedule, fire.due_at) in won]

    def record_outcome(self, source: str, name: str, due_at: datetime, outcome: str, error: str | None) -> None:
        f = t.schedule_fires
        with self._db.write() as conn:
            conn.execute(f.update().where(f.c.source == source, f.c.schedule == name, f.c.due_at == due_at)
                         .values(outcome=outcome, error=error))

    def finish_fires(self, results: Sequence[tuple[str, str, datetime, str, str | None, datetime]]) -> None:
        """(source, name, due_at, result, error, ended_at) for each job that ended."""
        if not results:
            return
        f = t.schedule_fires
        statement = (f.update().where(f.c.source == sa.bindparam("b_source"), f.c.schedule == sa.bindparam("b_name"),
                                      f.c.due_at == sa.bindparam("b_due"))
                     .values(result=sa.bindparam("b_result"), error=sa.bindparam("b_error"),
                             ended_at=sa.bindparam("b_ended")))
        rows = [{"b_source": source, "b_name": name, "b_due": due, "b_result": result, "b_error": error,
                 "b_ended": ended} for source, name, due, result, error, ended in results]
        with self._db.write() as conn:
            conn.execute(statement, rows)

    def fires(self, name: str, *, source: str = "schedule", limit: int = 50) -> list[FireRecord]:
        f = t.schedule_fires
        query = (sa.select(f).where(f.c.source == source, f.c.schedule == name)
                 .order_by(f.c.due_at.desc(), f.c.id.desc()).limit(limit))
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        return [as_record(FireRecord, row) for row in rows]

    def last_fires(self, source: str = "schedule") -> dict[str, FireRecord]:
        f = t.schedule_fires
        newest = (sa.select(f.c.schedule, sa.func.max(f.c.due_at).label("due"))
                  .where(f.c.source == source).group_by(f.c.schedule).subquery())
        query = sa.select(f).join(newest, sa.and_(f.c.schedule == newest.c.schedule, f.c.due_at == newest.c.due)) \
            .where(f.c.source == source)
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        return {row.schedule: as_record(FireRecord, row) for row in rows}

    def unfinished_runs(self, limit: int = 500) -> list[FireRecord]:
        f = t.schedule_fires
        query = (sa.select(f).where(f.c.outcome == "started", f.c.result.is_(None), f.c.run_id.is_not(None))
                 .order_by(f.c.id).limit(limit))
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        return [as_record(FireRecord, row) for row in rows]

    def prune_fires(self, before: datetime) -> int:
        f = t.schedule_fires
        with self._db.write() as conn:
            return int(conn.execute(f.delete().where(f.c.due_at < before, sa.or_(
                f.c.outcome != "started", f.c.result.is_not(None)))).rowcount)

    # triggers

    def add_trigger(self, trigger: TriggerRecord) -> None:
        tr = t.triggers
        with self._db.write() as conn:
            if conn.execute(sa.select(tr.c.name).where(tr.c.name == trigger.name)).first() is not None:
                raise ConflictError(f"trigger {trigger.name!r} exists; remove it first with: "
                                    f"mloop trigger remove {trigger.name}")
            conn.execute(tr.insert(), asdict(trigger))

    def get_trigger(self, name: str) -> TriggerRecord | None:
        with self._db.read() as conn:
            row = conn.execute(sa.select(t.triggers).where(t.triggers.c.name == name)).first()
        return as_record(TriggerRecord, row) if row else None

    def list_triggers(self) -> list[TriggerRecord]:
        with self._db.read() as conn:
            rows = conn.execute(sa.select(t.triggers).order_by(t.triggers.c.name)).all()
        return [as_record(TriggerRecord, row) for row in rows]

    def remove_trigger(self, name: str) -> bool:
        tr, f = t.triggers, t.schedule_fires
        with self._db.write() as conn:
            conn.execute(f.delete().where(f.c.source == "trigger", f.c.schedule == name))
            return bool(conn.execute(tr.delete().where(tr.c.name == name)).rowcount)

    def advance_trigger(self, name: str, revision: int, state: dict[str, Any], at: datetime,
                        fire: FireRecord | None) -> bool:
        tr = t.triggers
        with self._db.write() as conn:
            moved = conn.execute(tr.update().where(tr.c.name == name, tr.c.revision == revision)
                                 .values(state=state, revision=revision + 1, updated_at=at)).rowcount
            if moved and fire is not None:
                conn.execute(t.schedule_fires.insert(), asdict(fire))
        return bool(moved)

    # scheduler processes

    def scheduler_started(self, scheduler: SchedulerRecord) -> None:
        sc = t.schedulers
        with self._db.write() as conn:
            conn.execute(sc.delete().where(sc.c.id == scheduler.id))  # a pid reused on this host
            conn.execute(sc.insert(), asdict(scheduler))

    def scheduler_beat(self, scheduler_id: str, at: datetime) -> None:
        sc = t.schedulers
        with self._db.write() as conn:
            conn.execute(sc.update().where(sc.c.id == scheduler_id, sc.c.stopped_at.is_(None)).values(heartbeat_at=at))

    def scheduler_stopped(self, scheduler_id: str, at: datetime) -> None:
        sc = t.schedulers
        with self._db.write() as conn:
            conn.execute(sc.update().where(sc.c.id == scheduler_id, sc.c.stopped_at.is_(None))
                         .values(stopped_at=at, heartbeat_at=at))

    def list_schedulers(self, *, running_only: bool = False, stale_after: float = 60.0) -> list[SchedulerRecord]:
        sc = t.schedulers
        query = sa.select(sc).order_by(sc.c.started_at.desc())
        if running_only:
            query = query.where(sc.c.stopped_at.is_(None),
                                sc.c.heartbeat_at >= utcnow() - timedelta(seconds=stale_after))
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        return [as_record(SchedulerRecord, row) for row in rows]


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value)

