"""Registering model versions, finding them again, and moving aliases and stages."""

from __future__ import annotations

import dataclasses
import getpass
import math
from typing import TYPE_CHECKING, Any

from mloop.core.clock import utcnow
from mloop.core.errors import ConfigError, NotFoundError, ValidationError
from mloop.pipeline.results.runs import Artifact
from mloop.registry import aliases, sources
from mloop.registry.references import LATEST, ModelRef, check_alias, check_name, parse_ref
from mloop.registry.reports import BlessingReport
from mloop.registry.signature import Signature
from mloop.stores.metadata.registry_records import (
    AliasChange,
    ModelRecord,
    ModelVersionRecord,
    StageChange,
)
from mloop.stores.workspace import Workspace, get_workspace

if TYPE_CHECKING:
    from mloop.registry.loaded import LoadedModel

def current_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "unknown"


class ModelVersion:
    """A registered, immutable model version: its artifact, signature, metrics, lineage and card."""

    def __init__(self, record: ModelVersionRecord, workspace: Workspace) -> None:
        self.record = record
        self._workspace = workspace

    name = property(lambda self: self.record.model)
    version = property(lambda self: self.record.version)
    artifact_id = property(lambda self: self.record.artifact_id)
    run_id = property(lambda self: self.record.run_id)
    metrics = property(lambda self: dict(self.record.metrics))
    lineage = property(lambda self: self.record.lineage)
    description = property(lambda self: self.record.description)
    card = property(lambda self: self.record.card)
    stage = property(lambda self: self.record.stage)
    created_at = property(lambda self: self.record.created_at)
    created_by = property(lambda self: self.record.created_by)

    @property
    def ref(self) -> str:
        return f"{self.name}/{self.version}"

    @property
    def signature(self) -> Signature | None:
        return Signature.from_dict(self.record.signature) if self.record.signature else None

    @property
    def artifact(self) -> Artifact:
        return Artifact(self._workspace.lineage.get_artifact(self.artifact_id), self._workspace)

    @property
    def aliases(self) -> list[str]:
        found = self._workspace.registry.model_aliases(self.name).get(self.name, {})
        return sorted(alias for alias, version in found.items() if version == self.version)

    @property
    def training_fingerprint(self) -> str | None:
        """One id for the bytes this version was trained on: the feature-store training set when
        there is one, else the hash of its training data artifacts; None when none was recorded."""
        lineage = self.record.lineage or {}
        features = lineage.get("features") or {}
        if features.get("training_set"):
            return str(features["training_set"])
        ids = sorted(str(d["artifact_id"]) for d in lineage.get("training_data", []) if d.get("artifact_id"))
        if lineage.get("training_frame"):  # registered with a table in memory
            ids.append(str(lineage["training_frame"]["fingerprint"]))
        if not ids:
            return None
        if len(ids) == 1:
            return ids[0]
        from mloop.core.hashing import hash_json

        return hash_json(ids)

    @property
    def blessing(self) -> BlessingReport | None:
        """The newest blessing report of this version; it decides whether the version is blessed."""
        reports = self._workspace.registry.blessing_reports(self.name, self.version)
        return BlessingReport.from_record(reports[-1]) if reports else None

    @property
    def blessed(self) -> bool:
        report = self.blessing
        return bool(report and report.blessed)

    def export_signature(self, format: str = "jsonschema") -> str:
        """The signature as JSON Schema ("jsonschema"), an Avro schema ("avro") or a .proto file ("proto")."""
        import json

        from mloop.registry.schema_formats import identifier

        formats = ("jsonschema", "avro", "proto")
        if format not in formats:
            raise ValidationError(f"unknown schema format {format!r}; use one of: {', '.join(formats)}")
        signature = self.signature
        if signature is None:
            raise NotFoundError(f"{self.ref} has no signature; register it again with training data")
        if format == "proto":
            return signature.to_proto(self.name, package=f"mloop.{identifier(self.name)}.v{self.version}")
        if format == "avro":
            return json.dumps(signature.to_avro(f"{self.name}_input", f"mloop.{identifier(self.name)}"), indent=2)
        return json.dumps(signature.to_json_schema(f"{self.ref} input"), indent=2)

    def load(self) -> LoadedModel:
        from mloop.registry.loaded import LoadedModel

        return LoadedModel.from_version(self)

    def __repr__(self) -> str:
        return f"<model version {self.ref} artifact {self.artifact_id[:12]}>"


def register_model(
    name: str,
    model: Any,
    *,
    metrics: dict[str, float] | None = None,
    description: str = "",
    training_data: Any = None,
    target: str | None = None,
    workspace: Workspace | None = None,
) -> ModelVersion:
    """Register a new version of model `name` and return it.

    `model` is an Artifact (e.g. `run.output("train")`), an artifact id, `"RUN:step.output"`, or a
    fitted model object (stored through the artifact store). `metrics` add to (and override) the
    latest metrics the source run logged. The signature is inferred from the
    training data: the DataFrame inputs of the step that produced the model (found by lineage), or
    `training_data=` (a DataFrame or its Artifact); `target` names a label column to leave out.
    """
    workspace = workspace or get_workspace()
    check_name(name)
    clean_metrics = _metrics(metrics)
    source = sources.locate(workspace, model)
    if source.run_id:  # what the source run logged, unless given here
        logged = workspace.tracking.run_values([source.run_id]).get(source.run_id)
        clean_metrics = {k: v for k, v in (logged.metrics if logged else {}).items() if not math.isnan(v)} \
            | clean_metrics
    step_run_id = source.step.id if source.step else None
    frame, training = (None, None) if training_data is None else sources.training_frame(workspace, training_data)
    # The same model bytes registered before under this name: the same signature (and, from the
    # same step run, the same lineage). Only its hash is checked then; it was loaded and checked before.
    known = workspace.registry.find_model_version(name, source.artifact.id) if frame is None else None
    tables: list[tuple[str | None, Any]] = []
    if known is not None and known.signature and source.artifact.materializer in sources.MODEL_MATERIALIZERS:
        sources.verify(workspace, source)
        signature = known.signature
    else:
        model_object = sources.load(workspace, source)
        tables = [(training.id if training else None, frame)] if frame is not None else sources.load_frames(
            workspace, sources.add_inputs(workspace, source).frames)
        signature = sources.infer_signature(model_object, [t for _, t in tables], target,
                                            f"the model for {name!r}").to_dict()
    if known is not None and known.step_run_id == step_run_id and training is None and frame is None:
        lineage = known.lineage
    else:
        lineage = sources.describe_lineage(workspace, sources.add_inputs(workspace, source), training)
    draft = ModelVersionRecord(
        model=name, version=0, artifact_id=source.artifact.id, run_id=source.run_id, step_run_id=step_run_id,
        signature=signature, metrics=clean_metrics, lineage=lineage, description=description, card=None,
        stage=None, created_at=utcnow(), created_by=current_user(),
    )
    if frame is not None and training is None:  # a table in memory: its content hash stands for its bytes
        described = sources.frame_fingerprint(frame)
        if described is not None:
            draft = dataclasses.replace(draft, lineage={**lineage, "training_frame": described})
    version = ModelVersion(workspace.registry.create_model_version(draft, description), workspace)
    _profile_training_data(workspace, version, tables)
    return version


def _profile_training_data(workspace: Workspace, version: ModelVersion, tables: list[tuple[str | None, Any]]) -> None:
    """Store the profile of the version's training data with it (data quality), so drift against
    "the model's training data" never re-reads that data; skipped without the quality extra."""
    try:
        from mloop.quality.training import link_training_profile
    except ImportError:
        return
    try:
        link_training_profile(workspace, version.name, version.version, version.lineage, tables)
    except ConfigError:  # the quality extra (duckdb) is not installed: profiled when first needed
        return


def _metrics(metrics: dict[str, Any] | None) -> dict[str, float]:
    clean = {}
    for key, value in (metrics or {}).items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValidationError(f"metric {key!r} must be a number, got {value!r}") from None
        if math.isnan(number):
            raise ValidationError(f"metric {key!r} is NaN; record a number")
        clean[str(key)] = number
    return clean


def get_model_version(ref: str | ModelRef | ModelVersion, version: int | str | None = None,
                      workspace: Workspace | None = None) -> ModelVersion:
    """The version for 'fraud/3', 'fraud@champion' or 'fraud@latest' (or a name and a version/alias)."""
    if isinstance(ref, ModelVersion):  # read again: its card and stage may have changed since
        return ModelVersion(ref._workspace.registry.get_model_version(ref.name, ref.version), ref._workspace)
    workspace = workspace or get_workspace()
    parsed = ref if isinstance(ref, ModelRef) else parse_ref(ref, version)
    number = parsed.version
    if parsed.alias == LATEST:
        number = workspace.registry.get_model(parsed.name).latest_version
    elif parsed.alias is not None:
        aliases = workspace.registry.model_aliases(parsed.name).get(parsed.name, {})
        if parsed.alias not in aliases:
            workspace.registry.get_model(parsed.name)  # an unknown model is the clearer error
            raise NotFoundError(f"model {parsed.name!r} has no alias {parsed.alias!r}; set one with: "
                                f"mloop models promote {parsed.name} VERSION --alias {parsed.alias}")
        number = aliases[parsed.alias]
    assert number is not None  # parse_ref gives a version or an alias
    return ModelVersion(workspace.registry.get_model_version(parsed.name, number), workspace)


def list_models(workspace: Workspace | None = None) -> list[ModelRecord]:
    return (workspace or get_workspace()).registry.list_models()


def list_versions(name: str, workspace: Workspace | None = None) -> list[ModelVersion]:
    workspace = workspace or get_workspace()
    return [ModelVersion(r, workspace) for r in workspace.registry.list_model_versions(check_name(name))]


def promote(ref: str | ModelVersion, alias: str = "champion", *, reason: str = "", force: bool = False,
            expect: int | None = None, workspace: Workspace | None = None) -> AliasChange:
    """Point `alias` at a version, atomically, recording who, when and why. Only a blessed
    version may become `champion` unless `force` (recorded). `expect` makes it compare-and-set:
    the alias must point at that version now (0: at nothing), else ConflictError."""
    target = get_model_version(ref, workspace=workspace)
    check_alias(alias)
    return aliases.move_alias(
        target._workspace.registry, target.name, alias, target.version, changed_by=current_user(), reason=reason,
        forced=force, expect=expect)


def remove_alias(name: str, alias: str, *, reason: str = "", workspace: Workspace | None = None) -> AliasChange:
    workspace = workspace or get_workspace()
    return aliases.move_alias(workspace.registry, check_name(name), check_alias(alias), None,
                              changed_by=current_user(), reason=reason)


def rollback(name: str, alias: str = "champion", *, reason: str = "",
             workspace: Workspace | None = None) -> AliasChange:
    """Move `alias` back to the version it pointed at before (repeat to go further back)."""
    workspace = workspace or get_workspace()
    return aliases.rollback(workspace.registry, check_name(name), check_alias(alias), changed_by=current_user(),
                            reason=reason or "rollback")


def set_stage(ref: str | ModelVersion, stage: str | None, *, reason: str = "", force: bool = False,
              workspace: Workspace | None = None) -> StageChange:
    """Move a version to 'staging', 'production' or 'archived' (None: no stage), recording who,
    when and why; 'production' needs a blessed version unless `force` (recorded)."""
    target = get_model_version(ref, workspace=workspace)
    return aliases.set_stage(target._workspace.registry, target.name, target.version, stage,
                             changed_by=current_user(), reason=reason, forced=force)


def evaluate(ref: str | ModelVersion, data: Any, target: str, *, slice_by: str | None = None,
             metrics: list[str] | None = None, workspace: Workspace | None = None) -> dict[str, Any]:
    """Compute the version's model card on labelled `data` (metrics overall and per `slice_by`
    value, permutation importance) and store it with the version."""
    from mloop.registry.card import model_card

    version = get_model_version(ref, workspace=workspace)
    card = model_card(version.load().model, data, target, signature=version.signature, metrics=metrics,
                      slice_by=slice_by)
    version._workspace.registry.set_model_card(version.name, version.version, card)
    return card


def alias_history(name: str, alias: str | None = None, workspace: Workspace | None = None) -> list[AliasChange]:
    return (workspace or get_workspace()).registry.alias_history(check_name(name),
                                                                  check_alias(alias) if alias is not None else None)


def stage_history(name: str, version: int | None = None, workspace: Workspace | None = None) -> list[StageChange]:
    """Every stage move of model `name` (or of one version), oldest first: who, when, why."""
    return (workspace or get_workspace()).registry.stage_history(check_name(name), version)


def model_aliases(name: str | None = None, workspace: Workspace | None = None) -> dict[str, dict[str, int]]:
    """model name -> alias -> version, for every model (or one)."""
    return (workspace or get_workspace()).registry.model_aliases(check_name(name) if name else None)
