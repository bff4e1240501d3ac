"""Where the prediction log's rows go: a flush below `spill_rows` is one INSERT into the metadata
database; a larger one is one Parquet file per model under `folder/<model>/date=YYYY-MM-DD/`
(typed columns, lz4; stored in the artifact store too when other machines reach it, see
prediction_segments), recorded as a segment and handed to the compactor.

    sink = PredictionSink(workspace, folder, spill_rows=5000, compact_seconds=60)
    spilled = sink.store(PendingWrite(table))     # raises on failure; a retry writes nothing twice
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mloop.serving.prediction_batch import TYPED_KEY
from mloop.serving.prediction_compaction import Compactor
from mloop.serving.prediction_segments import shared_storage, store_segment, write_segment_file
from mloop.stores.metadata.predictions import PREDICTION_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa

    from mloop.stores.workspace import Workspace


@dataclass
class PendingWrite:
    """Rows encoded and waiting to be stored (kept across failed attempts; a spilled file is
    written once and only its segment row retried)."""

    table: pa.Table
    files: dict[str, tuple[Path, str]] = field(default_factory=dict)  # model -> (local file, segment id)
    refs: dict[str, str] = field(default_factory=dict)  # model -> the file's artifact reference, once stored
    recorded: set[str] = field(default_factory=set)  # models whose segment row is written


class PredictionSink:
    def __init__(self, workspace: Workspace, folder: Path, spill_rows: int, compact_seconds: float) -> None:
        self.workspace, self.folder, self.spill_rows = workspace, folder, spill_rows
        self.compactor = Compactor(workspace, every=compact_seconds)
        self._shared: bool | None = None  # segments go to the artifact store (decided at the first spill)

    def store(self, write: PendingWrite) -> bool:
        """Write `write`'s rows once (raises on failure: the caller retries); whether they were
        spilled to Parquet."""
        table = write.table
        # a table with typed columns (a flush of spill size) holds its values there only
        if table.num_rows < self.spill_rows and table.num_columns == len(PREDICTION_COLUMNS):
            self.workspace.predictions.add_predictions(table.select(list(PREDICTION_COLUMNS)).to_pydict())
            return False
        import pyarrow.compute as pc

        from mloop.core.clock import utcnow
        from mloop.stores.metadata.predictions import PredictionSegment

        for model in pc.unique(table["model"]).to_pylist():
            if model not in write.files:
                part = table.filter(pc.equal(table["model"], model))
                write.files[model] = (self._file(part, model), uuid.uuid4().hex)
        typed = table.num_columns > len(PREDICTION_COLUMNS)
        if self._shared is None:
            self._shared = shared_storage(self.workspace)
        for model, (path, segment_id) in write.files.items():
            if model in write.recorded:
                continue
            if self._shared and model not in write.refs:
                write.refs[model] = store_segment(self.workspace, path)
            part = table.filter(pc.equal(table["model"], model))
            low, high = pc.min_max(part["time"]).values()
            segment = PredictionSegment(id=segment_id, path=write.refs.get(model, str(path)), rows=part.num_rows,
                                        min_time=low.as_py(), max_time=high.as_py(), model=model, created_at=utcnow())
            self.workspace.predictions.add_segment(segment)
            self.compactor.add(segment, typed, local=path)
            write.recorded.add(model)  # a retry of this write records only the others
        return True

    def _file(self, table: pa.Table, model: str) -> Path:
        import pyarrow.compute as pc

        day = pc.min(table["time"]).as_py().strftime("%Y-%m-%d")
        folder = self.folder / model.replace("/", "_") / f"date={day}"
        folder.mkdir(parents=True, exist_ok=True)
        # fast to write; compaction rewrites as zstd
        return write_segment_file(_with_typed_marker(table), folder, "lz4").resolve()


def _with_typed_marker(table: pa.Table) -> pa.Table:
    """The table without typed columns that hold only nulls here (another model's inputs), marked
    as typed when it has typed columns: a reader then reads a missing one as null."""
    extra = table.column_names[len(PREDICTION_COLUMNS):]
    if not extra:
        return table
    empty = [name for name in extra if table[name].null_count == table.num_rows]
    table = table.drop_columns(empty) if empty else table
    return table.replace_schema_metadata({**(table.schema.metadata or {}), TYPED_KEY: b"1"})
