"""Compaction of the prediction log's Parquet segments: a busy server spills a small file every
flush (one every two seconds); readers pay per file, so a logger merges the segments it wrote,
per model and day (and per encoding: typed files with typed files, JSON ones with JSON ones), into
one zstd file every `every` seconds and at close. The compacted segment replaces the small ones in
one transaction; the small files are deleted at the next compaction, so a reader that listed them
just before has had `every` seconds to read them.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from mloop.serving.prediction_batch import TYPED_KEY

if TYPE_CHECKING:
    from mloop.stores.metadata.predictions import PredictionSegment
    from mloop.stores.workspace import Workspace

_log = logging.getLogger("mloop.serving.prediction_log")


class Compactor:
    def __init__(self, workspace: Workspace, every: float = 60.0, min_files: int = 4) -> None:
        self.workspace, self.every, self.min_files = workspace, every, min_files
        self.written: list[tuple[PredictionSegment, bool]] = []  # this logger's segments, typed or not
        self.doomed: list[Path] = []  # replaced files, deleted at the next compaction
        self.last = time.monotonic()

    def add(self, segment: PredictionSegment, typed: bool) -> None:
        self.written.append((segment, typed))

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.every

    def compact(self, final: bool = False) -> int:
        """Merge what this logger wrote (groups of `min_files` or more; every group of 2 or more
        when `final`); the number of segments replaced. Failures are logged and retried later."""
        self.last = time.monotonic()
        self._delete(self.doomed)
        self.doomed = []
        groups: dict[tuple[str, str, bool], list[PredictionSegment]] = defaultdict(list)
        for segment, typed in self.written:
            groups[(segment.model, segment.min_time.strftime("%Y-%m-%d"), typed)].append(segment)
        kept: list[tuple[PredictionSegment, bool]] = []
        replaced = 0
        for (_, _, typed), segments in groups.items():
            if len(segments) < (2 if final else self.min_files):
                kept += [(s, typed) for s in segments]
                continue
            try:
                self._merge(segments, typed)
            except Exception:  # a damaged or mismatched file: leave the small segments as they are
                _log.exception("prediction log: compacting %d segments of %s failed", len(segments), segments[0].model)
                continue
            replaced += len(segments)
            self.doomed += [Path(s.path) for s in segments]
        self.written = kept
        if final:
            self._delete(self.doomed)
            self.doomed = []
        return replaced

    def _merge(self, segments: list[PredictionSegment], typed: bool) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from mloop.core.clock import utcnow
        from mloop.stores.metadata.predictions import PredictionSegment

        table = pa.concat_tables([pq.read_table(s.path) for s in segments], promote_options="default")
        if typed:
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), TYPED_KEY: b"1"})
        folder = Path(segments[0].path).parent
        path = folder / f"{uuid.uuid4().hex}.parquet"
        temporary = folder / f".{path.name}.{os.getpid()}.tmp"
        try:
            pq.write_table(table, temporary, compression="zstd")
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        compacted = PredictionSegment(
            id=uuid.uuid4().hex, path=str(path), rows=sum(s.rows for s in segments),
            min_time=min(s.min_time for s in segments), max_time=max(s.max_time for s in segments),
            model=segments[0].model, created_at=utcnow())
        try:
            self.workspace.predictions.replace_segments(compacted, [s.id for s in segments])
        except Exception:
            path.unlink(missing_ok=True)
            raise

    @staticmethod
    def _delete(paths: list[Path]) -> None:
        for path in paths:
            path.unlink(missing_ok=True)
