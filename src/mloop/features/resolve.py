"""Which views and features a request names: "view", "view:feature", an on-demand feature's name,
a FeatureService (object or name), or the definition objects themselves — checked against the
registered versions, so a training set and a served request name the same definitions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mloop.core.errors import NotFoundError, ValidationError
from mloop.features.definitions import (
    FeatureService,
    FeatureView,
    OnDemandFeature,
    definition_from_spec,
    kind_of,
    spec_hash,
)
from mloop.stores.workspace import Workspace


@dataclass
class Selection:
    """Views with the features asked of each, on-demand features, and the registered versions."""

    views: dict[str, FeatureView] = field(default_factory=dict)
    features: dict[str, list[str]] = field(default_factory=dict)
    on_demand: dict[str, OnDemandFeature] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    service: str | None = None

    @property
    def refs(self) -> list[str]:
        return [f"{view}:{name}" for view, names in self.features.items() for name in names] + [
            f"{name}:{feature}" for name, d in self.on_demand.items() for feature in d.features]


def select(features: Any, workspace: Workspace) -> Selection:
    selection = Selection()
    is_service = isinstance(features, FeatureService) or (
        isinstance(features, str) and not _looks_like_ref(features)
        and workspace.features.definition("service", features) is not None)
    if is_service:
        service = features if isinstance(features, FeatureService) else _load(workspace, "service", str(features))
        assert isinstance(service, FeatureService)
        selection.service = service.name
        _version(workspace, service, selection)
        refs: Sequence[Any] = service.features
    else:
        refs = [features] if isinstance(features, (str, FeatureView, OnDemandFeature)) else list(features)
    if not refs:
        raise ValidationError("no features asked for; give features=['view:feature', ...] or a feature service")
    for ref in refs:
        _add(ref, selection, workspace)
    for demand in list(selection.on_demand.values()):  # the view features an on-demand feature reads
        for ref in demand.view_inputs:
            _add(ref, selection, workspace, implicit=True)
    return selection


def _looks_like_ref(value: Any) -> bool:
    return isinstance(value, str) and ":" in value


def _add(ref: Any, selection: Selection, workspace: Workspace, implicit: bool = False) -> None:
    if isinstance(ref, FeatureView):
        _use_view(ref, list(ref.features), selection, workspace)
        return
    if isinstance(ref, OnDemandFeature):
        selection.on_demand[ref.name] = ref
        _version(workspace, ref, selection)
        return
    text = str(ref)
    view_name, _, feature = text.partition(":")
    view = selection.views.get(view_name)
    if view is None:
        found = workspace.features.definition("view", view_name)
        if found is None:
            demand = workspace.features.definition("on_demand", view_name)
            if demand is not None and not feature:
                loaded = definition_from_spec("on_demand", demand.spec)
                assert isinstance(loaded, OnDemandFeature)
                selection.on_demand[view_name] = loaded
                selection.versions[view_name] = demand.version
                return
            raise NotFoundError(f"no feature view {view_name!r}; apply your definitions first: mloop features apply "
                                "FILE (mloop features list shows what is registered)")
        view = definition_from_spec("view", found.spec)  # type: ignore[assignment]
        assert isinstance(view, FeatureView)
    names = [feature] if feature else list(view.features)
    for name in names:
        view.feature(name)  # an unknown feature is one error naming the view's features
    _use_view(view, names, selection, workspace, implicit)


def _use_view(view: FeatureView, names: list[str], selection: Selection, workspace: Workspace,
              implicit: bool = False) -> None:
    if view.name not in selection.views:
        selection.views[view.name] = view
        _version(workspace, view, selection)
    elif selection.views[view.name] is not view and selection.views[view.name].spec() != view.spec():
        raise ValidationError(f"two different definitions of feature view {view.name!r} in one request")
    chosen = selection.features.setdefault(view.name, [])
    chosen += [n for n in names if n not in chosen]


def _version(workspace: Workspace, definition: Any, selection: Selection) -> None:
    kind = kind_of(definition)
    wanted = spec_hash(definition.spec())
    for record in reversed(workspace.features.definition_history(kind, definition.name)):
        if record.spec_hash == wanted:
            selection.versions[definition.name] = record.version
            return
    raise ValidationError(f"{kind.replace('_', '-')} {definition.name!r} is not applied as it is defined now; register "
                          "it first: mloop features apply FILE (or mloop.apply_features([...]))")


def _load(workspace: Workspace, kind: str, name: str) -> Any:
    found = workspace.features.definition(kind, name)
    if found is None:
        raise NotFoundError(f"no feature service {name!r}; apply your definitions first: mloop features apply FILE")
    return definition_from_spec(kind, found.spec)
