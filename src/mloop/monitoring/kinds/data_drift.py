"""data_drift: the logged inputs of a window against the stored profile of the training data of
the version that served them.

Each version's rows are compared with that version's own training profile (a window that holds a
rollout has rows of two versions, each trained on other data); a column counts as drifted when it
drifted for any version. Statistics and defaults are `detect_drift`'s (Wasserstein / reference std
> 0.1 for numbers, Jensen–Shannon > 0.1 for categories, each also significant after a Bonferroni
correction); `options` may hold `thresholds` and `method` as `detect_drift` takes them.

Value: the share of compared columns that drifted; the monitor fails when it exceeds `threshold`
(default 0: any drifted column fails it).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from mloop.monitoring.kinds.verdicts import column_values, drifted_text, no_data
from mloop.monitoring.logged import columns_of, logged_predictions
from mloop.monitoring.model import Measurement, Monitor

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace

DEFAULT_THRESHOLD = 0.0


def evaluate(monitor: Monitor, workspace: Workspace, start: datetime, end: datetime) -> Measurement:
    import pyarrow.compute as pc

    from mloop.quality.drift import detect_drift
    from mloop.quality.training import stored_training_profile
    from mloop.registry.versions import get_model_version

    threshold = DEFAULT_THRESHOLD if monitor.threshold is None else monitor.threshold
    table = logged_predictions(monitor, workspace, start, end, parts=("inputs",), leading=("version",))
    if table.num_rows == 0:
        return no_data(f"no predictions of {monitor.model} logged in the window", threshold)
    inputs = [c for c in columns_of(table, "inputs") if monitor.columns is None or c in monitor.columns]
    merged: dict[str, dict[str, Any]] = {}
    versions: dict[str, Any] = {}
    notes: list[str] = []
    numbers = sorted(pc.unique(table["version"]).to_pylist())
    for number in numbers:
        version = get_model_version(monitor.model or "", number, workspace=workspace)
        profile = stored_training_profile(workspace, version.name, version.version, version.lineage)
        rows = table if len(numbers) == 1 else table.filter(pc.equal(table["version"], number))
        if profile is None:
            notes.append(f"{version.ref} has no stored training profile: its {rows.num_rows} rows are not compared")
            continue
        known = {c.name for c in profile.columns}
        names = [c for c in inputs if c in known]
        if not names:
            notes.append(f"{version.ref}: no logged input is in its training profile")
            continue
        current = rows.select([f"input.{c}" for c in names]).rename_columns(names)
        report = detect_drift(profile, current, columns=names, thresholds=monitor.options.get("thresholds"),
                              method=monitor.options.get("method"))
        columns = column_values(report)
        versions[str(number)] = {"rows": rows.num_rows, "drifted": report.drifted_columns, "columns": columns}
        for column in columns:
            worst = merged.get(column["name"])
            if worst is None or (column["drifted"], column["statistic"] or 0.0) > (worst["drifted"],
                                                                                    worst["statistic"] or 0.0):
                merged[column["name"]] = column
    if not merged:
        return no_data("; ".join(notes) or "no column to compare", threshold, rows=table.num_rows, notes=notes)
    drifted = [c for c in merged.values() if c["drifted"]]
    share = len(drifted) / len(merged)
    summary = f"{len(drifted)} of {len(merged)} columns drifted" + (f": {drifted_text(list(merged.values()))}"
                                                                    if drifted else "")
    if len(versions) > 1:
        summary += f" (versions {', '.join(versions)} each against its training data)"
    return Measurement(status="failed" if share > threshold else "passed", value=share, threshold=threshold,
                       summary=summary, rows=table.num_rows,
                       values={"drifted": [c["name"] for c in drifted], "columns": merged, "versions": versions,
                               "notes": notes})
