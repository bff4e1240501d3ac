"""The profile of a model version's training data, computed once when the version is registered
(or the first time it is asked for) and linked to the data artifact and to the version."""

from __future__ import annotations

from typing import Any

from mloop.quality.recorded import load_record, store_report
from mloop.stores.workspace import Workspace


def model_subject(name: str, version: int) -> str:
    return f"model:{name}/{version}"


def link_training_profile(workspace: Workspace, name: str, version: int, lineage: dict[str, Any],
                          tables: list[tuple[str | None, Any]]) -> str | None:
    """Link the profile of the version's training data to it, profiling the data only when no
    profile of it is stored yet; the profile's artifact id (None: no training data known)."""
    from mloop.quality.profile import profile

    subject = model_subject(name, version)
    ids = [entry["artifact_id"] for entry in lineage.get("training_data", []) if entry.get("artifact_id")]
    known = workspace.quality.profiles_of([f"artifact:{i}" for i in ids])
    for artifact_id in ids:
        profile_id = known.get(f"artifact:{artifact_id}")
        if profile_id:
            workspace.quality.link_profile(subject, profile_id)
            return profile_id
    for artifact_id, table in tables[:1]:
        label = f"training data of {name}/{version}" + (f" (artifact {artifact_id[:12]})" if artifact_id else "")
        profile_id = store_report(workspace, profile(table, name=label))
        if artifact_id:
            workspace.quality.link_profile(f"artifact:{artifact_id}", profile_id)
        workspace.quality.link_profile(subject, profile_id)
        return profile_id
    return None


def stored_training_profile(workspace: Workspace, name: str, version: int, lineage: dict[str, Any]) -> Any:
    """The stored profile of a version's training data, profiling its training data artifact now
    if it was registered without one; None when its training data is unknown or gone."""
    from mloop.core.errors import NotFoundError
    from mloop.stores.artifacts import load_object

    subject = model_subject(name, version)
    profile_id = workspace.quality.profiles_of([subject]).get(subject)
    if profile_id is None:
        tables: list[tuple[str | None, Any]] = []
        for entry in lineage.get("training_data", [])[:1]:
            record = workspace.lineage.get_artifact(entry["artifact_id"])
            try:
                tables.append((record.id, load_object(workspace.artifacts, record.id, record.materializer)))
            except NotFoundError:
                return None
        profile_id = link_training_profile(workspace, name, version, lineage, tables)
    return None if profile_id is None else load_record(workspace, profile_id)
