"""What the continuous-training loop does about a monitor's result, beyond alerting: a failed
`champion_watch` rolls its alias back to the version it replaced (unless `options.rollback` is
false), and serving processes following the alias swap back by themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mloop.monitoring.model import Measurement, Monitor
    from mloop.stores.workspace import Workspace


def act(monitor: Monitor, measurement: Measurement, workspace: Workspace) -> str | None:
    """Carry out the loop's decision for this measurement; a sentence saying what was done (for
    the result and its alert), or None when there is nothing to do."""
    if monitor.kind != "champion_watch" or measurement.status != "failed" or not monitor.options.get("rollback", True):
        return None
    from mloop.registry.versions import rollback

    model, values = monitor.model or "", measurement.values
    alias, new, old = values["alias"], values["to_version"], values["from_version"]
    current = workspace.registry.model_aliases(model).get(model, {}).get(alias)
    if current != new:
        return f"not rolled back: {model}@{alias} points at version {current} now, not {new}"
    change = rollback(model, alias, reason=f"{monitor.name}: {measurement.summary}", workspace=workspace)
    back = change.to_version
    return f"rolled back {model}@{alias} from {new} to {back}" + ("" if back == old else f" (not {old})")
