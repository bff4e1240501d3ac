"""Training sets: the point-in-time join of entity rows to registered feature views, plus on-demand
features computed by the same function that serves them, stored as an artifact with a manifest
(entity rows' hash, view versions, source hashes, as-of time) so that "which feature values
trained this model" has one answer.

    frame = mloop.get_training_frame(labels_df, "fraud_v1")     # a FeatureService, or ["view:feature", ...]
    frame.attrs["mloop_training_set"]                             # {"artifact_id": ..., "manifest": {...}}
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from mloop.core.clock import utcnow
from mloop.core.errors import ValidationError
from mloop.features.definitions import FeatureView, OnDemandFeature, _as_arrow
from mloop.features.resolve import Selection, select
from mloop.features.sources import source_fingerprint, view_rows
from mloop.stores.workspace import Workspace, get_workspace

#: the key of the training set (artifact id and manifest) in a returned DataFrame's `attrs`
ATTRS_KEY = "mloop_training_set"


def get_training_frame(entity_rows: Any, features: Any, *, timestamp_column: str = "event_timestamp",
                       as_of: datetime | str | None = None, known_at_time: bool = True,
                       full_feature_names: bool = False, store: bool = True,
                       workspace: Workspace | None = None) -> Any:
    """For each entity row (join keys, `timestamp_column`, and any labels), the registered
    features' latest values as known at that time (see mloop.features.offline), then on-demand
    features; a pandas DataFrame. With `store`, it is saved as an artifact with its manifest."""
    from mloop.features.offline import ViewQuery, point_in_time_join

    workspace = workspace or get_workspace()
    selection = select(features, workspace)
    moment = _moment(as_of)
    entities = _as_arrow(entity_rows) if not hasattr(entity_rows, "schema") else entity_rows
    queries = [ViewQuery(name=view.name, source=view_rows(view), join_keys=view.join_keys,
                         timestamp_field=view.source.timestamp_field,
                         created_timestamp_field=view.source.created_timestamp_field,
                         features=tuple(selection.features[view.name]), ttl=view.ttl)
               for view in selection.views.values()]
    joined = point_in_time_join(entities, queries, timestamp_column=timestamp_column, as_of=moment,
                                known_at_time=known_at_time, full_feature_names=full_feature_names)
    frame = joined.to_pandas()
    frame = apply_on_demand(frame, selection.on_demand.values())
    manifest = _manifest(selection, entities, moment, known_at_time, timestamp_column, len(frame))
    artifact_id = _store(workspace, frame, manifest) if store else None
    frame.attrs[ATTRS_KEY] = {"artifact_id": artifact_id, "manifest": manifest}
    return frame


def apply_on_demand(frame: Any, features: Any) -> Any:
    """`frame` with each on-demand feature's columns, computed by its function from its inputs
    (the same call in training and in serving)."""
    for demand in features:
        assert isinstance(demand, OnDemandFeature)
        inputs = [i.partition(":")[2] or i for i in demand.inputs]
        missing = [name for name in inputs if name not in frame.columns]
        if missing:
            raise ValidationError(f"on-demand feature {demand.name!r} needs {', '.join(missing)}; add them to the "
                                  "entity rows (request fields) or to the features asked for")
        try:
            result = demand.function(frame[inputs].copy())
        except Exception as exc:
            raise ValidationError(f"on-demand feature {demand.name!r}: its function raised "
                                  f"{type(exc).__name__}: {exc}") from exc
        absent = [f for f in demand.features if f not in getattr(result, "columns", [])]
        if absent:
            raise ValidationError(f"on-demand feature {demand.name!r}: its function returned no column "
                                  f"{', '.join(absent)}; return a DataFrame with {', '.join(demand.features)}")
        for name in demand.features:
            frame[name] = result[name].to_numpy()
    return frame


def _moment(as_of: datetime | str | None) -> datetime | None:
    if as_of is None or isinstance(as_of, datetime):
        return as_of
    try:
        return datetime.fromisoformat(str(as_of))
    except ValueError:
        raise ValidationError(f"as_of {as_of!r} is not a time; write it as ISO 8601, e.g. 2026-11-30T00:00:00Z") from None


def _entity_hash(entities: Any) -> str:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, entities.schema) as writer:
        writer.write_table(entities)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def _manifest(selection: Selection, entities: Any, as_of: datetime | None, known_at_time: bool,
              timestamp_column: str, rows: int) -> dict[str, Any]:
    views: dict[str, Any] = {}
    for name, view in selection.views.items():
        assert isinstance(view, FeatureView)
        views[name] = {"version": selection.versions.get(name), "source_hash": source_fingerprint(view),
                       "features": selection.features[name]}
    return {
        "format": 1, "entity_rows_hash": _entity_hash(entities), "rows": rows, "timestamp_column": timestamp_column,
        "as_of": as_of.isoformat() if as_of else None, "known_at_time": known_at_time, "service": selection.service,
        "features": selection.refs, "views": views,
        "on_demand": {name: selection.versions.get(name) for name in selection.on_demand},
    }


def _store(workspace: Workspace, frame: Any, manifest: dict[str, Any]) -> str:
    from mloop.stores.artifacts import save_object
    from mloop.stores.metadata import ArtifactRecord

    stored = save_object(workspace.artifacts, frame)
    workspace.lineage.record_artifact(ArtifactRecord(
        id=stored.digest, uri=stored.uri, kind="output", materializer=stored.materializer,
        materializer_version=stored.materializer_version, type_name=stored.type_name, size=stored.size,
        summary={**stored.summary, "training_set": manifest["service"] or ", ".join(manifest["views"])},
        created_at=utcnow()))
    workspace.features.record_training_set(stored.digest, manifest)
    return stored.digest
