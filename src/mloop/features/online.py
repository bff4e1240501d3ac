"""Online features: the materialized values of the asked entities, each with its event time and
status (present, missing, or expired past the view's TTL), then on-demand features computed by
the same function as in training; and the freshness of each view."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from mloop.core.clock import utcnow
from mloop.core.errors import ValidationError
from mloop.features.materialize import _utc, online_store
from mloop.features.resolve import select
from mloop.features.training import apply_on_demand
from mloop.stores.workspace import Workspace, get_workspace

PRESENT, MISSING, EXPIRED = "present", "missing", "expired"


@dataclass
class OnlineFeatures:
    """One row per entity row asked: `values[feature][i]`, `statuses[feature][i]` and, for view
    features, `event_times[feature][i]` (None where missing)."""

    values: dict[str, list[Any]] = field(default_factory=dict)
    statuses: dict[str, list[str]] = field(default_factory=dict)
    event_times: dict[str, list[datetime | None]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"values": self.values, "statuses": self.statuses,
                "event_times": {k: [t.isoformat() if t else None for t in v] for k, v in self.event_times.items()}}

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.values)


def get_online_features(entity_rows: Any, features: Any, *, now: datetime | str | None = None,
                        workspace: Workspace | None = None) -> OnlineFeatures:
    """Features for `entity_rows` (a list of dicts, a dict of lists, or a DataFrame holding the
    join keys and any request fields on-demand features read)."""
    import pandas as pd

    workspace = workspace or get_workspace()
    selection = select(features, workspace)
    rows = _frame(entity_rows)
    moment = _utc(now) or utcnow()
    store = online_store(workspace)
    result = OnlineFeatures()
    for name, view in selection.views.items():
        missing_keys = [k for k in view.join_keys if k not in rows.columns]
        if missing_keys:
            raise ValidationError(f"the entity rows lack {', '.join(missing_keys)}, the join key(s) of feature view "
                                  f"{name!r}")
        from mloop.stores.online import entity_key

        keys = [_key(entity_key, values) for values in rows[list(view.join_keys)].itertuples(index=False, name=None)]
        found = store.read(name, [k for k in keys if k is not None], selection.features[name])
        by_key = dict(zip([k for k in keys if k is not None], found, strict=True))
        for feature in selection.features[name]:
            values: list[Any] = []
            statuses: list[str] = []
            times: list[datetime | None] = []
            for key in keys:
                row = by_key.get(key) if key is not None else None
                if row is None or feature not in row.values:
                    values.append(None)
                    statuses.append(MISSING)
                    times.append(None)
                    continue
                expired = view.ttl is not None and moment - _aware(row.event_time) > view.ttl
                values.append(None if expired else row.values[feature])
                statuses.append(EXPIRED if expired else PRESENT)
                times.append(row.event_time)
            result.values[feature], result.statuses[feature], result.event_times[feature] = values, statuses, times
    if selection.on_demand:
        frame = pd.concat([rows.reset_index(drop=True), pd.DataFrame(result.values)], axis=1)
        frame = apply_on_demand(frame, selection.on_demand.values())
        for demand in selection.on_demand.values():
            for feature in demand.features:
                result.values[feature] = frame[feature].tolist()
                result.statuses[feature] = [PRESENT if v is not None and v == v else MISSING for v in result.values[feature]]
    return result


def _frame(entity_rows: Any) -> Any:
    import pandas as pd

    if isinstance(entity_rows, pd.DataFrame):
        return entity_rows.reset_index(drop=True)
    if isinstance(entity_rows, dict):
        return pd.DataFrame(entity_rows)
    if isinstance(entity_rows, list):
        if not all(isinstance(r, dict) for r in entity_rows):
            raise ValidationError("entity rows must be dicts of join keys (and request fields), e.g. "
                                  "[{'customer_id': 1}]")
        return pd.DataFrame(entity_rows)
    if hasattr(entity_rows, "to_pandas"):
        return entity_rows.to_pandas()
    raise ValidationError("give entity rows as a list of dicts, a dict of lists or a DataFrame")


def _key(entity_key: Any, values: tuple[Any, ...]) -> str | None:
    if any(v is None or (isinstance(v, float) and v != v) for v in values):
        return None  # a missing key matches nothing, as in the offline join
    try:
        return str(entity_key(list(values)))
    except ValidationError:
        return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def feature_freshness(views: list[str] | None = None, *, now: datetime | str | None = None,
                      workspace: Workspace | None = None) -> list[dict[str, Any]]:
    """Per feature view: the newest materialized event time in the online store, its age, the
    last materialization, and whether it is older than the view's TTL."""
    workspace = workspace or get_workspace()
    moment = _utc(now) or utcnow()
    names = views or [d.name for d in workspace.features.latest_definitions("view")]
    store = online_store(workspace)
    records = workspace.features.materializations(names, online_url=workspace.settings.online_url, limit=10_000)
    out = []
    for name in names:
        spec = workspace.features.definition("view", name)
        if spec is None:
            raise ValidationError(f"no feature view {name!r}; see what is registered: mloop features list")
        stats = store.stats(name)
        newest = _aware(stats.newest) if stats.newest else None
        last = [r for r in records if r.view == name]
        ttl = spec.spec.get("ttl_seconds")
        age = (moment - newest).total_seconds() if newest else None
        out.append({"view": name, "rows": stats.rows, "newest_event_time": newest.isoformat() if newest else None,
                    "age_seconds": age, "ttl_seconds": ttl,
                    "stale": newest is None or (ttl is not None and age is not None and age > ttl),
                    "last_materialized_at": last[-1].finished_at.isoformat() if last else None,
                    "materialized_until": last[-1].end_time.isoformat() if last else None})
    return out
