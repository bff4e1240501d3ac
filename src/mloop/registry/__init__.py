"""The model registry: versions with signatures and lineage, aliases and stages with history,
the blessing gate, model cards and standard schemas. The common calls are re-exported by `mloop`."""

from mloop.registry.blessing import Blessing, bless
from mloop.registry.card import model_card
from mloop.registry.loaded import LoadedModel, load_model
from mloop.registry.reports import BlessingReport, RuleResult
from mloop.registry.signature import ColumnSpec, OutputSpec, Signature
from mloop.registry.steps import bless_step
from mloop.registry.versions import (
    ModelVersion,
    alias_history,
    evaluate,
    get_model_version,
    list_models,
    list_versions,
    model_aliases,
    promote,
    register_model,
    remove_alias,
    rollback,
    set_stage,
    stage_history,
)

__all__ = [
    "Blessing",
    "BlessingReport",
    "ColumnSpec",
    "LoadedModel",
    "ModelVersion",
    "OutputSpec",
    "RuleResult",
    "Signature",
    "alias_history",
    "bless",
    "bless_step",
    "evaluate",
    "get_model_version",
    "list_models",
    "list_versions",
    "load_model",
    "model_aliases",
    "model_card",
    "promote",
    "register_model",
    "remove_alias",
    "rollback",
    "set_stage",
    "stage_history",
]
