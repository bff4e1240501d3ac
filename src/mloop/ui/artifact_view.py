"""What the artifact page and `/api/v1/artifact-info/{id}` show: an artifact's producer and
consumers, its lineage extended past the pipeline (data → steps → model → deployments), and
previews read with as little I/O as possible (the first rows of a table, never the whole file).

Ids are checked against the artifact id format (hex sha256, or a prefix of at least 4 characters)
before any store is touched, so nothing a caller sends ever becomes a path."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import mloop
from mloop.core.errors import NotFoundError
from mloop.ui.graph import GraphNode

ARTIFACT_ID = re.compile(r"^[0-9a-f]{4,64}$")
TABLE_MATERIALIZERS = ("pandas.parquet", "arrow.parquet", "polars.parquet")
MODEL_MATERIALIZERS = ("sklearn.skops", "xgboost.ubj", "lightgbm.txt")
HEAD_ROWS = 20
TEXT_PREVIEW_BYTES = 16_384
#: a table larger than this is profiled only when a stored profile exists
PROFILE_MAX_BYTES = 64 << 20
#: the largest object copied from an object store for a preview
REMOTE_PREVIEW_MAX_BYTES = 32 << 20


def check_artifact_id(artifact_id: str) -> str:
    """`artifact_id` if it has the form of an artifact id; NotFoundError (404) otherwise."""
    if not ARTIFACT_ID.fullmatch(artifact_id):
        raise NotFoundError(f"no artifact {artifact_id[:80]!r}: an artifact id is 4 to 64 hex characters "
                            "(see them with: mloop artifacts list)")
    return artifact_id


def find_artifact(artifact_id: str) -> mloop.Artifact:
    return mloop.get_artifact(check_artifact_id(artifact_id))


def artifact_kind(artifact: mloop.Artifact, model_artifacts: set[str]) -> str:
    """data, model or report: how the lineage graph and the page present it."""
    if artifact.id in model_artifacts or artifact.materializer in MODEL_MATERIALIZERS:
        return "model"
    if (artifact.summary or {}).get("quality_report"):
        return "report"
    return "data"


@dataclass
class LineageGraph:
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"nodes": [{"id": n.id, "label": n.label, "kind": n.status, "detail": n.sub, "href": n.href}
                          for n in self.nodes],
                "edges": [{"from": a, "to": b} for a, b in self.edges]}


def _model_versions_of(artifact_ids: set[str]) -> list[mloop.ModelVersion]:
    """The registered versions whose model artifact is one of `artifact_ids`."""
    return [version for model in mloop.list_models() for version in mloop.list_versions(model.name)
            if version.artifact_id in artifact_ids]


def lineage_graph(artifact: mloop.Artifact) -> LineageGraph:
    """Upstream and downstream steps and artifacts, the model versions made from any of them,
    and the deployments serving those versions."""
    lineage = artifact.lineage()
    graph = LineageGraph()
    artifact_nodes = [n for n in (*lineage.upstream, *lineage.downstream) if n.kind == "artifact"]
    artifact_ids = {artifact.id, *(n.id for n in artifact_nodes)}
    versions = _model_versions_of(artifact_ids)
    model_artifacts = {v.artifact_id for v in versions}
    root_kind = artifact_kind(artifact, model_artifacts)
    records = mloop.get_workspace().lineage.get_artifacts(sorted(n.id for n in artifact_nodes))
    graph.nodes.append(GraphNode(artifact.id, _short_type(artifact.type_name), sub=f"{artifact.id[:12]} · this",
                                 status=f"{root_kind} root", href=f"/artifacts/{artifact.id}"))
    for node in (*lineage.upstream, *lineage.downstream):
        if node.kind == "step":
            graph.nodes.append(GraphNode(node.id, node.label, sub=str(node.detail.get("status", "")), status="step",
                                         href=f"/runs/{node.detail.get('run_id', '')}",
                                         hover=f"step {node.label} of run {node.detail.get('run_id', '')}"))
        else:
            record = records.get(node.id)
            kind = "model" if node.id in model_artifacts or (record and record.materializer in MODEL_MATERIALIZERS) \
                else "report" if record and (record.summary or {}).get("quality_report") else "data"
            graph.nodes.append(GraphNode(node.id, _short_type(node.label), sub=node.id[:12], status=kind,
                                         href=f"/artifacts/{node.id}"))
    graph.edges.extend((source, target) for source, target, _name in lineage.edges)
    deployments = mloop.list_deployments(limit=1000) if versions else []
    for version in versions:
        model_id = f"model:{version.ref}"
        graph.nodes.append(GraphNode(model_id, version.ref, sub=", ".join(version.aliases) or "model version",
                                     status="model", href=f"/models/{version.name}/{version.version}"))
        graph.edges.append((version.artifact_id, model_id))
        for deployment in deployments:
            if _serves(deployment, version):
                node_id = f"deployment:{deployment.id}"
                if all(n.id != node_id for n in graph.nodes):
                    graph.nodes.append(GraphNode(node_id, deployment.follows, sub=f"{deployment.mode} · "
                                                 f"{deployment.status}", status="deployment",
                                                 href=f"/deployments/{deployment.id}"))
                graph.edges.append((model_id, node_id))
    return graph


def _serves(deployment: Any, version: mloop.ModelVersion) -> bool:
    """Whether the deployment serves `version`: now, through the reference it follows (an alias
    pointing at it), or as its canary or shadow."""
    refs = {version.ref, *(f"{version.name}@{alias}" for alias in version.aliases)}
    slots = [slot.get("ref") for slot in (deployment.traffic or {}).values() if isinstance(slot, dict)]
    return deployment.version == version.ref or deployment.follows in refs or any(ref in refs for ref in slots)


def _short_type(type_name: str) -> str:
    return type_name.rsplit(".", 1)[-1]


def producer_and_consumers(artifact: mloop.Artifact) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The step run that made the artifact (None for data read from outside a run) and the step
    runs that read it."""
    lineage = artifact.lineage(depth=1)
    steps = {n.id: n for n in (*lineage.upstream, *lineage.downstream) if n.kind == "step"}
    producer = None
    consumers = []
    for source, target, name in lineage.edges:
        if target == artifact.id and source in steps:
            producer = _step_dict(steps[source], name)
        elif source == artifact.id and target in steps:
            consumers.append(_step_dict(steps[target], name))
    return producer, consumers


def _step_dict(node: Any, name: str) -> dict[str, Any]:
    return {"step_run_id": node.id, "step": node.label, "run_id": node.detail.get("run_id"),
            "status": node.detail.get("status"), "as": name}


def table_preview(artifact: mloop.Artifact) -> dict[str, Any] | None:
    """Schema, row count and the first HEAD_ROWS rows of a Parquet table artifact, reading only
    the footer and the first batch; None for anything that is not a table."""
    path = _table_path(artifact)
    if path is None:
        return None
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as parquet:
        schema = parquet.schema_arrow
        batch = next(parquet.iter_batches(batch_size=HEAD_ROWS), None)
        rows = parquet.metadata.num_rows
    head = batch.to_pylist() if batch is not None else []
    columns = [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in schema
               if not f.name.startswith("__index_level_")]
    names = [c["name"] for c in columns]
    return {"rows": rows, "columns": columns, "head": [[row.get(name) for name in names] for row in head]}


def remote_only(artifact: mloop.Artifact) -> bool:
    """Whether previewing would copy a large object from an object store first (the store
    protocol reads whole objects): such previews are left out, the download link stays."""
    return not mloop.get_workspace().artifacts.supports_local_paths and artifact.size > REMOTE_PREVIEW_MAX_BYTES


def _local(artifact: mloop.Artifact) -> Any:
    return mloop.get_workspace().artifacts.local_path(artifact.id)


def _table_path(artifact: mloop.Artifact) -> Any:
    if remote_only(artifact):
        return None
    if artifact.materializer in TABLE_MATERIALIZERS:
        return _local(artifact)
    if artifact.materializer == "path":
        path = _local(artifact)
        return path if path.is_file() and path.suffix == ".parquet" else None
    return None


def table_profile(artifact: mloop.Artifact) -> list[dict[str, Any]] | None:
    """Per-column statistics: the stored profile of this data when one was recorded (training
    data of a model), else computed now for a table small enough; None otherwise."""
    stored = mloop.get_workspace().quality.profiles_of([f"artifact:{artifact.id}"]).get(f"artifact:{artifact.id}")
    if stored:
        profile = mloop.get_artifact(stored).load()
    else:
        path = _table_path(artifact)
        if path is None or artifact.size > PROFILE_MAX_BYTES:
            return None
        profile = mloop.profile_data(str(path))
    return [{"name": c.name, "type": c.type, "count": c.count, "nulls": c.nulls, "distinct": c.distinct,
             "mean": c.mean, "std": c.std, "min": c.min, "max": c.max,
             "top": list(zip(c.values[:3], c.value_counts[:3], strict=False))} for c in profile.columns]


def text_preview(artifact: mloop.Artifact) -> str | None:
    """The start of a JSON value (pretty-printed when it fits) or of a text file."""
    if remote_only(artifact):
        return None
    if artifact.materializer == "json":
        with open(_local(artifact), "rb") as handle:
            data = handle.read(TEXT_PREVIEW_BYTES + 1)
        if len(data) <= TEXT_PREVIEW_BYTES:
            try:
                return json.dumps(json.loads(data), indent=2, sort_keys=True)
            except ValueError:
                pass
        return data[:TEXT_PREVIEW_BYTES].decode("utf-8", "replace")
    if artifact.materializer == "path":
        path = _local(artifact)
        if path.is_file() and path.suffix in (".txt", ".json", ".csv", ".md", ".yaml", ".yml", ".log"):
            with open(path, "rb") as handle:
                return handle.read(TEXT_PREVIEW_BYTES).decode("utf-8", "replace")
    return None


def artifact_info(artifact: mloop.Artifact) -> dict[str, Any]:
    """The artifact's record, producer, consumers and the model versions registered from it."""
    producer, consumers = producer_and_consumers(artifact)
    versions = _model_versions_of({artifact.id})
    return {"id": artifact.id, "type": artifact.type_name, "materializer": artifact.materializer,
            "size": artifact.size, "uri": artifact.uri, "kind": artifact_kind(artifact, {v.artifact_id for v in versions}),
            "summary": artifact.summary, "created_at": artifact.created_at.isoformat() if artifact.created_at else None,
            "produced_by": producer, "consumers": consumers,
            "model_versions": [v.ref for v in versions], "download": f"/api/v1/artifacts/{artifact.id}",
            "preview_skipped": remote_only(artifact)}
