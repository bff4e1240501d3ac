"""Online feature enrichment: a version trained on a feature-store training set is served from
entity keys. Its lineage names the features it was trained on (a FeatureService or a list of
'view:feature' references); the server reads their latest values from the online store and runs
the on-demand features with the same function as training (`get_online_features`), once per
batch. Fields a request carries itself win over online values (a what-if, or a test).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mloop.registry.signature import Signature
    from mloop.registry.versions import ModelVersion
    from mloop.stores.workspace import Workspace


class Enrichment:
    def __init__(self, features: Any, signature: Signature, workspace: Workspace) -> None:
        from mloop.features.resolve import select

        selection = select(features, workspace)
        self.features, self._workspace, self._signature = features, workspace, signature
        self.join_keys = list(dict.fromkeys(k for view in selection.views.values() for k in view.join_keys))
        online = {f for names in selection.features.values() for f in names}
        online |= {f for demand in selection.on_demand.values() for f in demand.features}
        self.provided = [c for c in signature.columns if c in online]
        request_fields = {field for demand in selection.on_demand.values() for field in _request_inputs(demand)}
        #: what the online read is given: join keys and the request fields on-demand features read
        self.lookup = list(dict.fromkeys([*self.join_keys, *sorted(request_fields)]))
        self.required = list(dict.fromkeys([*self.join_keys, *sorted(request_fields),
                                            *(c for c in signature.columns if c not in online)]))

    @classmethod
    def of(cls, version: ModelVersion, workspace: Workspace) -> Enrichment | None:
        """The enrichment of a version trained on feature-store data; None for any other."""
        manifest = (version.lineage or {}).get("features") or {}
        features = manifest.get("service") or manifest.get("features")
        if not features or version.signature is None:
            return None
        return cls(features, version.signature, workspace)

    def problems(self, record: Any) -> list[str]:
        if not isinstance(record, dict):
            return [f"a record must be a JSON object of column: value, got {type(record).__name__}"]
        return [f"missing field {name!r} (this model reads its features from the online store by "
                f"{', '.join(self.join_keys)})" for name in self.required if name not in record]

    def frame(self, records: Sequence[dict[str, Any]]) -> Any:
        """The records with their online features, as the DataFrame the signature describes."""
        import pandas as pd

        from mloop.features.online import get_online_features

        rows = pd.DataFrame.from_records(list(records))
        online = get_online_features(rows[self.lookup], self.features, workspace=self._workspace)
        added = {name: online.values[name] for name in self.provided if name not in rows.columns}
        frame = rows.assign(**added) if added else rows
        return self._signature.validate(frame[self._signature.columns], what="input after online enrichment")


def _request_inputs(demand: Any) -> list[str]:
    """The inputs of an on-demand feature that come with the request (not 'view:feature')."""
    return [ref for ref in demand.inputs if ":" not in ref]

