"""skew: training–serving skew by replay. For the window's logged requests that carry entity keys
(versions served with online features), the offline point-in-time join is recomputed — the
version's FeatureService over the offline store, for each request's entity at the request's
time, then its on-demand features, exactly as a training set is built — and compared with the
feature values the server logged (read from the online store).

One join for all the requests of a version (the feature store's `get_training_frame` with an
entity frame of (entity keys, request fields, event_timestamp = request time)), then vectorised
comparisons. Per feature: the mismatch rate (a number differs by more than `options.tolerance`,
default 1e-6 relative plus 1e-9 absolute; anything else differs at all; or one side is missing),
and the mean and max absolute difference of numbers present on both sides. Value: the worst
feature's mismatch rate; the monitor fails above `threshold` (default 0.01). A request that
carried a feature's value itself (a what-if: request fields win over online values) counts as a
mismatch of that feature, as it should: the model saw a value training would not have.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mloop.monitoring.kinds.verdicts import no_data
from mloop.monitoring.logged import columns_of, logged_predictions
from mloop.monitoring.model import Measurement, Monitor

if TYPE_CHECKING:
    import pyarrow as pa

    from mloop.stores.workspace import Workspace

DEFAULT_THRESHOLD = 0.01
TOLERANCE = 1e-6
ABSOLUTE_TOLERANCE = 1e-9


def evaluate(monitor: Monitor, workspace: Workspace, start: datetime, end: datetime) -> Measurement:
    import pyarrow.compute as pc

    from mloop.registry.versions import get_model_version
    from mloop.serving.enrichment import Enrichment

    threshold = DEFAULT_THRESHOLD if monitor.threshold is None else monitor.threshold
    table = logged_predictions(monitor, workspace, start, end, parts=("inputs", "entity_key"),
                               leading=("version", "time"))
    if table.num_rows == 0:
        return no_data(f"no predictions of {monitor.model} logged in the window", threshold)
    keys = columns_of(table, "entity_key")
    if not keys:
        return no_data(f"the {table.num_rows} predictions of {monitor.model} in the window carry no entity keys: "
                       "skew is replayed for versions served from the online feature store", threshold,
                       rows=table.num_rows)
    features: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    replayed = 0
    for number in sorted(pc.unique(table["version"]).to_pylist()):
        version = get_model_version(monitor.model or "", number, workspace=workspace)
        enrichment = Enrichment.of(version, workspace)
        rows = table.filter(pc.equal(table["version"], number))
        if enrichment is None:
            notes.append(f"{version.ref} is not served from the feature store: {rows.num_rows} rows skipped")
            continue
        for key in enrichment.join_keys:
            rows = rows.filter(pc.is_valid(rows[f"entity.{key}"])) if f"entity.{key}" in rows.column_names \
                else rows.slice(0, 0)
        names = [f for f in enrichment.provided if f"input.{f}" in rows.column_names
                 and (monitor.columns is None or f in monitor.columns)]
        if rows.num_rows == 0 or not names:
            notes.append(f"{version.ref}: no logged request with its entity keys and features")
            continue
        offline = _replay(rows, enrichment, workspace)
        tolerance = float(monitor.options.get("tolerance", TOLERANCE))
        for name in names:
            found = _compare(rows[f"input.{name}"], offline[name], tolerance)
            _add(features, name, found)
        replayed += rows.num_rows
    if not features:
        return no_data("; ".join(notes) or "nothing to replay", threshold, rows=table.num_rows, notes=notes)
    for found in features.values():
        found["mismatch_rate"] = found["mismatches"] / found["rows"]
        found["mean_abs_diff"] = found.pop("abs_diff_sum") / found["compared"] if found["compared"] else None
    worst = max(features, key=lambda n: features[n]["mismatch_rate"])
    value = features[worst]["mismatch_rate"]
    skewed = sorted((n for n in features if features[n]["mismatch_rate"] > threshold),
                    key=lambda n: -features[n]["mismatch_rate"])
    if skewed:
        listing = ", ".join(f"{n} ({features[n]['mismatch_rate']:.1%} of rows, max |diff| "
                            f"{_number(features[n]['max_abs_diff'])})" for n in skewed[:5])
        summary = f"{len(skewed)} of {len(features)} features differ online vs offline: {listing}"
    else:
        summary = f"no skew: {len(features)} features match the offline join (worst {worst}: {value:.1%})"
    return Measurement(status="failed" if skewed else "passed", value=value, threshold=threshold,
                       summary=f"{summary}; {replayed} requests replayed", rows=table.num_rows,
                       values={"features": features, "skewed": skewed, "replayed": replayed, "notes": notes})


def _replay(rows: pa.Table, enrichment: Any, workspace: Workspace) -> pa.Table:
    """The offline values of the version's features for each logged row, in row order."""
    import pyarrow as pa

    from mloop.features.training import get_training_frame

    columns = {key: rows[f"entity.{key}"] for key in enrichment.join_keys}
    for name in enrichment.lookup:  # request fields the on-demand features read (logged as inputs)
        if name not in columns and f"input.{name}" in rows.column_names:
            columns[name] = rows[f"input.{name}"]
    columns["event_timestamp"] = rows["time"]
    frame = get_training_frame(pa.table(columns), enrichment.features, store=False, workspace=workspace)
    return pa.Table.from_pandas(frame, preserve_index=False)


def _compare(online: Any, offline: Any, tolerance: float) -> dict[str, Any]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    online, offline = online.combine_chunks() if hasattr(online, "combine_chunks") else online, \
        offline.combine_chunks() if hasattr(offline, "combine_chunks") else offline
    present = pc.and_(pc.is_valid(online), pc.is_valid(offline))
    one_missing = int(pc.sum(pc.xor(pc.is_valid(online), pc.is_valid(offline))).as_py() or 0)
    numeric = all(pa.types.is_integer(a.type) or pa.types.is_floating(a.type) for a in (online, offline))
    mask = present.to_numpy(zero_copy_only=False)
    if numeric:
        left = online.to_numpy(zero_copy_only=False).astype(np.float64)[mask]
        right = offline.to_numpy(zero_copy_only=False).astype(np.float64)[mask]
        difference = np.abs(left - right)
        differs = difference > ABSOLUTE_TOLERANCE + tolerance * np.abs(right)
        total = float(difference.sum())
        largest = float(difference.max()) if len(difference) else None
    else:
        left = online.cast(pa.string()).to_numpy(zero_copy_only=False)[mask]
        right = offline.cast(pa.string()).to_numpy(zero_copy_only=False)[mask]
        differs, total, largest = left != right, 0.0, None
    return {"rows": len(online), "compared": int(mask.sum()) if numeric else 0, "mismatches": int(differs.sum())
            + one_missing, "missing_one_side": one_missing, "abs_diff_sum": total, "max_abs_diff": largest}


def _add(features: dict[str, dict[str, Any]], name: str, found: dict[str, Any]) -> None:
    known = features.get(name)
    if known is None:
        features[name] = found
        return
    for field in ("rows", "compared", "mismatches", "missing_one_side", "abs_diff_sum"):
        known[field] += found[field]
    if found["max_abs_diff"] is not None:
        known["max_abs_diff"] = max(known["max_abs_diff"] or 0.0, found["max_abs_diff"])


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"
