"""Explaining one logged prediction: which model version answered, trained by which run, on which
data bytes and features, with what inputs, outputs, latency and (when known) ground truth.

    print(mloop.explain_prediction("5f0c..."))
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mloop.core.errors import NotFoundError, ValidationError
from mloop.stores.metadata.predictions import PREDICTION_COLUMNS, PredictionRecord

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace


@dataclass(frozen=True)
class TrainingData:
    """One table the version was trained on (an artifact: its id is the hash of its bytes)."""

    name: str
    artifact_id: str
    bytes: int | None
    shape: list[int] | None
    type: str | None


@dataclass(frozen=True)
class PredictionExplanation:
    request_id: str
    time: datetime
    model: str
    version: int
    deployment: str | None
    role: str
    latency_ms: float | None
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    entity_key: dict[str, Any] | None
    #: the id of the bytes the version was trained on, as logged with the prediction
    training_fingerprint: str | None
    #: the run (and its pipeline and step) that trained the version; None when registered from an object
    run_id: str | None
    pipeline: str | None
    step: str | None
    training_data: list[TrainingData] = field(default_factory=list)
    #: a table registered in memory (not an artifact): its content hash, shape and size
    training_frame: dict[str, Any] | None = None
    #: the feature-store training set: its artifact id, service, features and view versions
    features: dict[str, Any] | None = None
    code_version: dict[str, Any] | None = None
    label: Any = None
    has_label: bool = False
    #: False when the version that answered is not in this workspace's registry (then no lineage)
    registered: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        lines = [f"prediction {self.request_id}",
                 f"  answered by   {self.model}/{self.version} ({self.role}"
                 + (f", deployment {self.deployment})" if self.deployment else ")"),
                 f"  at            {self.time.isoformat()}"
                 + (f" in {self.latency_ms:.2f} ms" if self.latency_ms is not None else ""),
                 f"  inputs        {_json(self.inputs)}",
                 f"  outputs       {_json(self.outputs)}"]
        if self.entity_key:
            lines.append(f"  entity        {_json(self.entity_key)}")
        lines.append(f"  label         {_json(self.label) if self.has_label else '(none logged)'}")
        if not self.registered:
            lines.append(f"  trained by    ({self.model}/{self.version} is not in this registry: no lineage)")
        elif self.run_id:
            where = f" (pipeline {self.pipeline}, step {self.step})" if self.pipeline else ""
            lines.append(f"  trained by    run {self.run_id}{where}")
        else:
            lines.append("  trained by    (no run recorded: registered from an object)")
        if self.code_version and self.code_version.get("git_sha"):
            lines.append(f"  code          git {self.code_version['git_sha']}")
        lines.append(f"  trained on    {self.training_fingerprint or '(no training data recorded)'}")
        if self.training_frame:
            frame = self.training_frame
            shape = "×".join(str(n) for n in frame.get("shape") or []) or "?"
            lines.append(f"    a table in memory: sha256 {frame['fingerprint']} ({frame.get('bytes', 0):,} bytes, "
                         f"{shape} rows×columns)")
        for data in self.training_data:
            shape = "×".join(str(n) for n in data.shape) if data.shape else "?"
            size = f"{data.bytes:,} bytes" if data.bytes is not None else "bytes unknown"
            lines.append(f"    {data.name}: artifact {data.artifact_id} ({size}, {shape} rows×columns)")
        if self.features:
            service = self.features.get("service")
            names = self.features.get("features") or []
            lines.append(f"  features      training set {self.features.get('training_set')}"
                         + (f" (service {service})" if service else ""))
            views = self.features.get("views") or {}
            for view, spec in views.items():
                lines.append(f"    {view} v{spec.get('version')}: {', '.join(spec.get('features') or [])}")
            if names and not views:
                lines.append(f"    {', '.join(names)}")
        return "\n".join(lines)


def explain_prediction(request_id: str, *, workspace: Workspace | None = None) -> PredictionExplanation:
    """What answered request `request_id` and where that model came from; NotFoundError when no
    prediction with that id is logged (yet: a logger writes within its flush interval)."""
    from mloop.registry.versions import ModelVersion
    from mloop.stores.workspace import get_workspace

    if not isinstance(request_id, str) or not request_id.strip():
        raise ValidationError("give the request id of a logged prediction, e.g. from: mloop predictions list")
    workspace = workspace or get_workspace()
    record = workspace.predictions.get_prediction(request_id) or _from_segments(workspace, request_id)
    if record is None:
        raise NotFoundError(f"no prediction with request id {request_id}; list recent ones with: "
                            "mloop predictions list")
    try:
        version: ModelVersion | None = ModelVersion(workspace.registry.get_model_version(record.model, record.version),
                                                    workspace)
    except NotFoundError:  # logged by a server on another registry, or a version since deleted
        version = None
    lineage = (version.lineage if version else None) or {}
    labels = workspace.predictions.labels_of([request_id])
    return PredictionExplanation(
        request_id=record.request_id, time=record.time, model=record.model, version=record.version,
        deployment=record.deployment, role=record.role, latency_ms=record.latency_ms,
        inputs=json.loads(record.inputs), outputs=json.loads(record.outputs),
        entity_key=json.loads(record.entity_key) if record.entity_key else None,
        training_fingerprint=record.training_fingerprint or (version.training_fingerprint if version else None),
        run_id=version.run_id if version else None, pipeline=lineage.get("pipeline") or lineage.get("experiment"),
        step=lineage.get("step"), training_data=_training_data(workspace, lineage),
        training_frame=lineage.get("training_frame"),
        features=lineage.get("features"), code_version=lineage.get("code_version"),
        label=json.loads(labels[request_id]) if request_id in labels else None, has_label=request_id in labels,
        registered=version is not None)


def _from_segments(workspace: Workspace, request_id: str) -> PredictionRecord | None:
    from mloop.quality.inputs import duckdb_module
    from mloop.serving.prediction_segments import local_files, segment_rows_sql

    files = local_files(workspace, [s.path for s in workspace.predictions.segments()], skip_missing=True)
    if not files:
        return None
    connection = duckdb_module().connect()
    try:
        connection.execute("SET TimeZone = 'UTC'").fetchall()
        segments, params = segment_rows_sql(files)
        table = connection.sql(f"SELECT {', '.join(PREDICTION_COLUMNS)} FROM ({segments}) WHERE request_id = ? "
                               "LIMIT 1", params=[*params, request_id]).to_arrow_table()
    finally:
        connection.close()
    if table.num_rows == 0:
        return None
    return PredictionRecord(**{name: table[name][0].as_py() for name in PREDICTION_COLUMNS})


def _training_data(workspace: Workspace, lineage: dict[str, Any]) -> list[TrainingData]:
    entries = [d for d in lineage.get("training_data", []) if d.get("artifact_id")]
    records = workspace.lineage.get_artifacts([d["artifact_id"] for d in entries])
    found = []
    for entry in entries:
        record = records.get(entry["artifact_id"])
        shape = (record.summary.get("shape") if record else None) or entry.get("shape")
        found.append(TrainingData(name=str(entry.get("name", "training_data")), artifact_id=entry["artifact_id"],
                                  bytes=record.size if record else None, shape=list(shape) if shape else None,
                                  type=entry.get("type") or (record.type_name if record else None)))
    return found


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
