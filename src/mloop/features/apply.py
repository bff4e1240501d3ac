"""`apply`: register feature definitions in the metadata store, each change as a new version.

A definition whose spec is unchanged keeps its version; a changed one gets the next version and
the difference is reported. A breaking change — a feature's type changed, or a feature removed
that a registered model version was trained on — is refused (nothing is written) unless forced.
References are checked first: a service or on-demand feature naming an unknown view or feature
is one error before anything is written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from mloop.core.errors import ValidationError
from mloop.features.definitions import (
    Definition,
    FeatureService,
    FeatureView,
    OnDemandFeature,
    definitions_in,
    kind_of,
    spec_hash,
)
from mloop.stores.workspace import Workspace, get_workspace


@dataclass
class Change:
    kind: str
    name: str
    #: "new", "changed" or "unchanged"
    status: str
    version: int | None
    previous_version: int | None = None
    diff: list[str] = field(default_factory=list)
    breaking: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ApplyReport:
    changes: list[Change]
    applied: bool

    def summary(self) -> str:
        counts = {status: sum(1 for c in self.changes if c.status == status) for status in ("new", "changed",
                                                                                             "unchanged")}
        verb = "applied" if self.applied else "would apply"
        return (f"{verb} {len(self.changes)} definition(s): {counts['new']} new, {counts['changed']} changed, "
                f"{counts['unchanged']} unchanged")

    def to_dict(self) -> dict[str, Any]:
        return {"applied": self.applied, "summary": self.summary(), "changes": [c.to_dict() for c in self.changes]}


def load_definitions(source: Any) -> list[Definition]:
    """Definitions from a Python file path, a module, or an iterable of definition objects."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise ValidationError(f"{path} does not exist; give the Python file that defines your features")
        if path.suffix != ".py":
            raise ValidationError(f"{path} is not a Python file; feature definitions are written in Python")
        from mloop.core.imports import load_file

        module: Any = load_file(path)
        found = definitions_in(vars(module).values())
        if not found:
            raise ValidationError(f"{path} defines no Entity, FeatureView, OnDemandFeature or FeatureService")
        return found
    if isinstance(source, ModuleType):
        return definitions_in(vars(source).values())
    return definitions_in(source)


def apply_features(source: Any, *, force: bool = False, dry_run: bool = False, workspace: Workspace | None = None,
                   on_progress: Callable[[int, int, str], None] | None = None) -> ApplyReport:
    """Register the definitions in `source` (see `load_definitions`). `on_progress(done, total,
    name)` is called as each is checked and written."""
    workspace = workspace or get_workspace()
    definitions = load_definitions(source)
    store = workspace.features
    known = {(d.kind, d.name): d for d in store.latest_definitions()}
    _check_references(definitions, known)
    changes: list[Change] = []
    for definition in definitions:
        kind, spec = kind_of(definition), definition.spec()
        previous = known.get((kind, definition.name))
        if previous is None:
            changes.append(Change(kind, definition.name, "new", None))
        elif previous.spec_hash == spec_hash(spec):
            changes.append(Change(kind, definition.name, "unchanged", previous.version, previous.version))
        else:
            changes.append(Change(kind, definition.name, "changed", None, previous.version,
                                  diff=spec_diff(previous.spec, spec),
                                  breaking=_breaking(kind, definition.name, previous.spec, spec, workspace)))
    breaking = [f"{c.kind} {c.name}: {reason}" for c in changes for reason in c.breaking]
    if breaking and not force and not dry_run:
        raise ValidationError("refused breaking change(s): " + "; ".join(breaking) + " (apply with --force to "
                              "make them anyway)")
    if dry_run:
        return ApplyReport(changes, applied=False)
    user = _user()
    for done, (definition, change) in enumerate(zip(definitions, changes, strict=True), start=1):
        record, _ = store.put_definition(change.kind, definition.name, definition.spec(),
                                         spec_hash(definition.spec()), user)
        change.version = record.version
        if on_progress is not None:
            on_progress(done, len(definitions), f"{change.kind} {definition.name}")
    return ApplyReport(changes, applied=True)


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (a container)
        return "unknown"


def _check_references(definitions: list[Definition], known: dict[tuple[str, str], Any]) -> None:
    views = {d.name: set(d.features) for d in definitions if isinstance(d, FeatureView)}
    for (kind, name), record in known.items():
        if kind == "view" and name not in views:
            views[name] = {f["name"] for f in record.spec["schema"]}
    on_demand = {d.name for d in definitions if isinstance(d, OnDemandFeature)}
    on_demand |= {name for kind, name in known if kind == "on_demand"}
    problems = []
    for definition in definitions:
        if isinstance(definition, FeatureService):
            problems += [f"service {definition.name!r}: {p}" for ref in definition.features
                         for p in _reference_problem(ref, views, on_demand)]
        elif isinstance(definition, OnDemandFeature):
            problems += [f"on-demand feature {definition.name!r}: {p}" for ref in definition.view_inputs
                         for p in _reference_problem(ref, views, set())]
    if problems:
        raise ValidationError("; ".join(problems))


def _reference_problem(ref: str, views: dict[str, set[str]], on_demand: set[str]) -> list[str]:
    view, _, feature = ref.partition(":")
    if not feature and (view in views or view in on_demand):
        return []
    if view not in views:
        import difflib

        close = difflib.get_close_matches(view, [*views, *on_demand], n=1)
        return [f"unknown feature view {view!r}" + (f" (did you mean {close[0]!r}?)" if close else "")]
    if feature not in views[view]:
        return [f"feature view {view!r} has no feature {feature!r} (it has {', '.join(sorted(views[view]))})"]
    return []


def spec_diff(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    """Lines saying what changed between two specs: schema features by name, other keys by path."""
    lines: list[str] = []
    for key in sorted(set(old) | set(new)):
        path = f"{prefix}{key}"
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key == "schema" and isinstance(before, list) and isinstance(after, list):
            lines += _schema_diff(before, after)
        elif isinstance(before, dict) and isinstance(after, dict):
            lines += spec_diff(before, after, f"{path}.")
        else:
            lines.append(f"~ {path}: {before!r} → {after!r}")
    return lines


def _schema_diff(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[str]:
    old = {f["name"]: f for f in before}
    new = {f["name"]: f for f in after}
    lines = [f"+ feature {name} ({new[name]['dtype']})" for name in new if name not in old]
    lines += [f"- feature {name} ({old[name]['dtype']})" for name in old if name not in new]
    lines += [f"~ feature {name}: {old[name]['dtype']} → {new[name]['dtype']}" for name in new
              if name in old and old[name]["dtype"] != new[name]["dtype"]]
    lines += [f"~ feature {name}: description changed" for name in new
              if name in old and old[name]["dtype"] == new[name]["dtype"] and old[name] != new[name]]
    return lines


def _breaking(kind: str, name: str, old: dict[str, Any], new: dict[str, Any], workspace: Workspace) -> list[str]:
    if kind not in ("view", "on_demand"):
        return []
    before = {f["name"]: f["dtype"] for f in old.get("schema", [])}
    after = {f["name"]: f["dtype"] for f in new.get("schema", [])}
    reasons = [f"feature {f} changes type {before[f]} → {after[f]}" for f in after if f in before and before[f] != after[f]]
    removed = [f for f in before if f not in after]
    if removed:
        users = models_using(workspace, [f"{name}:{f}" for f in removed])
        reasons += [f"feature {ref.partition(':')[2]} is removed but model {', '.join(models)} was trained on it"
                    for ref, models in users.items()]
    return reasons


def models_using(workspace: Workspace, refs: Iterable[str]) -> dict[str, list[str]]:
    """Which registered model versions were trained on each feature ("view:feature"), from the
    training-set manifests their lineage carries."""
    wanted = set(refs)
    found: dict[str, list[str]] = {}
    for model in workspace.registry.list_models():
        for version in workspace.registry.list_model_versions(model.name):
            used = set((version.lineage or {}).get("features", {}).get("features", []))
            for ref in sorted(wanted & used):
                found.setdefault(ref, []).append(f"{version.model}/{version.version}")
    return found


def list_feature_definitions(kind: str | None = None, name: str | None = None,
                             workspace: Workspace | None = None) -> list[Any]:
    """The latest version of each registered definition (of one `kind`: entity, view, on_demand,
    service), or, with `name`, every version of that one."""
    from mloop.stores.metadata.features import KINDS

    workspace = workspace or get_workspace()
    if kind is not None and kind not in KINDS:
        raise ValidationError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    if name is None:
        return workspace.features.latest_definitions(kind)
    kinds = [kind] if kind else list(KINDS)
    history = [record for k in kinds for record in workspace.features.definition_history(k, name)]
    if not history:
        from mloop.core.errors import NotFoundError

        raise NotFoundError(f"no feature definition named {name!r}; see them with: mloop features list")
    return history
