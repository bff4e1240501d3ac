"""Compaction of the prediction log's Parquet segments: a busy server spills a small file every
flush (one every two seconds); readers pay per file, so a logger merges the segments it wrote,
per model and day (and per encoding: typed files with typed files, JSON ones with JSON ones), into
one zstd file every `every` seconds and at close. The compacted segment replaces the small ones in
one transaction; the small files are deleted at the next compaction, so a reader that listed them
just before has had `every` seconds to read them.

Segments kept in the artifact store (see prediction_segments) are merged from the logger's own
local copies (no download), the merged file is stored as a new object and the replaced objects
and local copies deleted the same way.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from mloop.serving.prediction_batch import TYPED_KEY
from mloop.serving.prediction_segments import (
    STORED,
    drop_segment,
    local_files,
    store_segment,
    write_segment_file,
)

if TYPE_CHECKING:
    from mloop.stores.metadata.predictions import PredictionSegment
    from mloop.stores.workspace import Workspace

_log = logging.getLogger("mloop.serving.prediction_log")


class Compactor:
    def __init__(self, workspace: Workspace, every: float = 60.0, min_files: int = 4) -> None:
        self.workspace, self.every, self.min_files = workspace, every, min_files
        self.written: list[tuple[PredictionSegment, bool]] = []  # this logger's segments, typed or not
        self.local: dict[str, Path] = {}  # segment path (an artifact reference) -> this logger's local copy
        self.doomed: list[str] = []  # replaced segments' paths, deleted at the next compaction
        self.last = time.monotonic()

    def add(self, segment: PredictionSegment, typed: bool, local: Path | None = None) -> None:
        """Remember a segment this logger wrote (`local`: its local copy, when it is stored elsewhere)."""
        self.written.append((segment, typed))
        if local is not None and local != Path(segment.path):
            self.local[segment.path] = local

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
            self.doomed += [s.path for s in segments]
        self.written = kept
        if final:
            self._delete(self.doomed)
            self.doomed = []
            for path in [self.local.pop(s.path) for s, _ in kept if s.path in self.local]:
                path.unlink(missing_ok=True)  # the object in the store is the segment now
        return replaced

    def _merge(self, segments: list[PredictionSegment], typed: bool) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from mloop.core.clock import utcnow
        from mloop.stores.metadata.predictions import PredictionSegment

        files = [str(self.local[s.path]) if s.path in self.local and self.local[s.path].is_file()
                 else local_files(self.workspace, [s.path])[0] for s in segments]
        table = pa.concat_tables([pq.read_table(file) for file in files], promote_options="default")
        if typed:
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), TYPED_KEY: b"1"})
        stored = segments[0].path.startswith(STORED)
        folder = Path(files[0]).parent if not stored else self.workspace.artifacts.staging_dir()
        path = write_segment_file(table, folder, "zstd")
        try:
            ref = store_segment(self.workspace, path) if stored else str(path)
        finally:
            if stored:  # the store consumed or copied it
                shutil.rmtree(folder, ignore_errors=True)
        compacted = PredictionSegment(
            id=uuid.uuid4().hex, path=ref, rows=sum(s.rows for s in segments),
            min_time=min(s.min_time for s in segments), max_time=max(s.max_time for s in segments),
            model=segments[0].model, created_at=utcnow())
        try:
            self.workspace.predictions.replace_segments(compacted, [s.id for s in segments])
        except Exception:
            drop_segment(self.workspace, ref)
            raise

    def _delete(self, refs: list[str]) -> None:
        for ref in refs:
            local = self.local.pop(ref, None)
            if local is not None:
                local.unlink(missing_ok=True)
            try:
                drop_segment(self.workspace, ref)
            except Exception:  # an object store that fails now: the object stays, unreferenced
                _log.warning("prediction log: deleting the replaced segment %s failed", ref, exc_info=True)
