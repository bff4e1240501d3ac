"""What a version is registered from: an Artifact, an artifact id, `RUN:step.output`, or a fitted
model object; and where it came from (run, step, training data, raw data, code version)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mloop.core.clock import utcnow
from mloop.core.errors import IntegrityError, NotFoundError, ValidationError
from mloop.core.hashing import hash_path
from mloop.pipeline.execution.task import current_task
from mloop.pipeline.results.runs import Artifact, Run
from mloop.registry import adapters
from mloop.registry.signature import Signature
from mloop.stores.artifacts import load_object, save_object
from mloop.stores.metadata import ArtifactRecord, StepRunRecord
from mloop.stores.workspace import Workspace
from mloop.tracking.scope import open_run_id

FRAME_MATERIALIZERS = ("pandas.parquet", "arrow.parquet", "polars.parquet")
#: materializers that only hold models: a registered artifact of theirs need not be loaded again
MODEL_MATERIALIZERS = frozenset({"sklearn.skops", "xgboost.ubj", "lightgbm.txt"})
#: raw data files (mloop.Data inputs) that read as a table
TABLE_FILES = {".parquet": "read_parquet", ".csv": "read_csv"}


def is_table(record: ArtifactRecord) -> bool:
    if record.materializer in FRAME_MATERIALIZERS:
        return True
    name = str(record.summary.get("name", ""))
    return record.materializer == "path" and any(name.endswith(suffix) for suffix in TABLE_FILES)


@dataclass
class ModelSource:
    artifact: ArtifactRecord
    model: Any
    run_id: str | None = None
    step: StepRunRecord | None = None
    #: DataFrame inputs of the step that produced the model: name -> artifact (see add_inputs)
    frames: dict[str, ArtifactRecord] = field(default_factory=dict)
    inputs_added: bool = False


def locate(workspace: Workspace, obj: Any) -> ModelSource:
    """Find (or store) the model artifact and the step that made it; a stored artifact is not
    loaded yet (see `load` and `verify`)."""
    step: StepRunRecord | None = None
    if isinstance(obj, Artifact):
        record = obj.record
    elif isinstance(obj, str) and ":" in obj:
        run_id, _, output = obj.partition(":")
        run = Run.load(run_id, workspace)
        node, _, name = output.partition(".")
        record = run.output(node, name or "output").record
        step = run.step(node).record
    elif isinstance(obj, str):
        record = workspace.lineage.get_artifact(obj)
    else:
        return _from_object(workspace, obj)
    if record.materializer in adapters.DATA_MATERIALIZERS:
        raise ValidationError(f"cannot register artifact {record.id[:12]}: a {record.type_name} is not a model; "
                              "register the output of the training step, e.g. run.output('train')")
    step = step or _producer(workspace, record.id)
    return ModelSource(record, None, step.run_id if step else None, step)


def load(workspace: Workspace, source: ModelSource) -> Any:
    """The model object (loaded once, hash-verified), refused if it is not a fitted model."""
    if source.model is None:
        record = source.artifact
        model = load_object(workspace.artifacts, record.id, record.materializer)
        adapters.check_model(model, f"artifact {record.id[:12]}")
        source.model = model
    return source.model


def verify(workspace: Workspace, source: ModelSource) -> None:
    """Check the stored bytes still hash to the artifact id, without loading the model."""
    digest = source.artifact.id
    actual = hash_path(workspace.artifacts.local_path(digest))
    if actual != digest:
        raise IntegrityError(f"artifact {digest[:12]} is corrupted: stored bytes hash to {actual[:12]}; it was not "
                             "registered (re-run the step that produced it with --no-cache)")


def _from_object(workspace: Workspace, obj: Any) -> ModelSource:
    adapters.check_model(obj, "this object")
    stored = save_object(workspace.artifacts, obj)
    record = ArtifactRecord(id=stored.digest, uri=stored.uri, kind="logged", materializer=stored.materializer,
                            materializer_version=stored.materializer_version, type_name=stored.type_name,
                            size=stored.size, summary=stored.summary, created_at=utcnow())
    workspace.lineage.record_artifact(record)
    task = current_task()  # registered from inside a step: that step run is the source
    if task is None:  # from a notebook run opened with start_run, if one is open: that run is
        return ModelSource(record, obj, open_run_id())  # (what it logged so far is written first)
    step = workspace.runs.get_step_runs_by_id([task.step_run_id])
    return ModelSource(record, obj, task.run_id, step[0] if step else None)


def _producer(workspace: Workspace, artifact_id: str) -> StepRunRecord | None:
    """The step execution that produced the artifact (not a cache hit reusing it)."""
    ids = sorted({e.step_run_id for e in workspace.lineage.artifact_edges([artifact_id]) if e.direction == "out"})
    steps = workspace.runs.get_step_runs_by_id(ids)
    executed = [s for s in steps if s.status == "succeeded"] or steps
    return min(executed, key=lambda s: str(s.ended_at or s.started_at)) if executed else None


def add_inputs(workspace: Workspace, source: ModelSource) -> ModelSource:
    """Find the tables the producing step consumed (its training data)."""
    if source.step is None or source.inputs_added:
        return source
    source.inputs_added = True
    edges = [e for e in workspace.lineage.step_run_edges([source.step.id]) if e.direction == "in"]
    records = workspace.lineage.get_artifacts(sorted({e.artifact_id for e in edges}))
    source.frames = {e.name: records[e.artifact_id] for e in sorted(edges, key=lambda e: e.name)
                     if is_table(records[e.artifact_id])}
    return source


def frame_fingerprint(frame: Any) -> dict[str, Any] | None:
    """A training table given in memory (not stored as an artifact): sha256 over its column names,
    dtypes and pandas' per-row hashes (vectorised), with its shape and size in memory; None for
    what is not a table."""
    import hashlib

    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        if not hasattr(frame, "to_pandas"):
            return None
        frame = frame.to_pandas()
    try:
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    except TypeError:  # unhashable cells (lists, dicts): no fingerprint claimed rather than a failed register
        return None
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(rows.tobytes())
    return {"fingerprint": digest.hexdigest(), "shape": list(frame.shape),
            "bytes": int(frame.memory_usage(deep=False, index=False).sum())}


def describe_lineage(workspace: Workspace, source: ModelSource, training: ArtifactRecord | None) -> dict[str, Any]:
    """What the version records about its origin: run, step, training data, raw data, code."""
    lineage: dict[str, Any] = {"training_data": [], "data_sources": [], "code_version": None}
    frames = dict(source.frames)
    if training is not None:
        frames.setdefault("training_data", training)
    lineage["training_data"] = [{"name": name, "artifact_id": a.id, "type": a.type_name,
                                 "shape": a.summary.get("shape")} for name, a in frames.items()]
    # a training set built by the feature store: which feature values trained this version
    manifests = workspace.features.training_sets([a.id for a in frames.values()])
    upstream = None
    if not manifests and source.step is not None:
        # built further up (e.g. split into train and test after the training set): the nearest one
        from mloop.pipeline.results.lineage import trace

        upstream = trace(workspace, source.artifact.id).upstream
        ids = [n.id for n in upstream if n.kind == "artifact"]  # nearest first
        found = workspace.features.training_sets(ids)
        manifests = {i: found[i] for i in ids if i in found}
    if manifests:
        artifact_id, manifest = next(iter(manifests.items()))
        lineage["features"] = {"training_set": artifact_id, **manifest}
    if source.step is not None:
        run = workspace.runs.get_run(source.step.run_id)
        lineage.update(pipeline=run.pipeline, step=source.step.node, step_run_id=source.step.id)
        code = run.code_version
        if not code and run.status == "running":
            # registered from inside its run (the gate step): the run records its code version when
            # it ends, so read it now, from the same project, as the run's own probe does
            from mloop.pipeline.execution.environment import code_version

            code = code_version(workspace.settings.root)
        lineage["code_version"] = {**(code or {}), "step_source_hash": source.step.source_hash}
        if upstream is None:
            from mloop.pipeline.results.lineage import trace

            upstream = trace(workspace, source.artifact.id).upstream
        lineage["data_sources"] = [{"artifact_id": n.id, "source": n.detail.get("source")}
                                   for n in upstream if n.kind == "artifact" and n.detail.get("kind") == "data"]
    elif source.run_id is not None:
        lineage.update(experiment=workspace.runs.get_run(source.run_id).pipeline)
    return lineage


#: where a DataFrame built by the feature store carries its training-set artifact and manifest
TRAINING_SET_ATTRS = "mloop_training_set"


def training_frame(workspace: Workspace, data: Any) -> tuple[Any, ArtifactRecord | None]:
    """`training_data=` as a DataFrame, with its artifact when it is one."""
    if isinstance(data, Artifact):
        return data.load(), data.record
    if isinstance(data, str):
        record = workspace.lineage.get_artifact(data)
        return load_object(workspace.artifacts, record.id, record.materializer), record
    stored = (getattr(data, "attrs", None) or {}).get(TRAINING_SET_ATTRS, {}).get("artifact_id")
    if stored:  # a training set from the feature store, stored when it was built
        return data, workspace.lineage.get_artifact(stored)
    return data, None


def infer_signature(model: Any, frames: list[Any], target: str | None, where: str) -> Signature:
    """The signature from the first frame that holds the model's input columns."""
    import pandas as pd

    names = adapters.feature_names(model)
    count = adapters.n_features(model)
    seen = []
    for frame in frames:
        if not isinstance(frame, pd.DataFrame):
            frame = frame.to_pandas() if hasattr(frame, "to_pandas") else pd.DataFrame(frame)
        columns = [str(c) for c in frame.columns]
        seen.append(columns)
        if names is not None:
            if set(names) <= set(columns):
                return Signature.infer(frame.set_axis(columns, axis=1)[names], model)
            continue
        features = frame.drop(columns=[target]) if target in frame.columns else frame
        if count is None or features.shape[1] == count:
            return Signature.infer(features, model)
    if not frames:
        raise ValidationError(f"cannot infer the signature of {where}: no training data is known; pass "
                              "training_data=<the DataFrame it was trained on>")
    wanted = f"columns {names}" if names is not None else f"{count} feature columns"
    hint = " (name the label column with target=...)" if names is None else ""
    raise ValidationError(f"cannot infer the signature of {where}: the model expects {wanted} but the training "
                          f"data has columns {seen[0]}{hint}; pass training_data=<the DataFrame it was trained on>")


def load_frames(workspace: Workspace, records: dict[str, ArtifactRecord]) -> list[tuple[str | None, Any]]:
    """(artifact id, table) for each training table still in the store."""
    import pandas as pd

    frames: list[tuple[str | None, Any]] = []
    for record in records.values():
        try:
            value = load_object(workspace.artifacts, record.id, record.materializer)
        except NotFoundError:
            continue  # the training data is gone from the store: the model may still be registered
        if record.materializer == "path":  # a data file: read it as a table
            value = getattr(pd, TABLE_FILES[value.suffix])(value)
        frames.append((record.id, value))
    return frames
