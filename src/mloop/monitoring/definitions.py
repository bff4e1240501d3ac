"""Declaring monitors: checking a Monitor, reading them from YAML or a Python file, and applying
them to the workspace (upsert by name), listing and deleting them.

    mloop.apply_monitors("monitors.yaml")     # monitors: [{name, kind, model, window, schedule, ...}]
    mloop.apply_monitors([mloop.Monitor("fraud-volume", "volume", model="fraud", options={"min": 10})])
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mloop.core.clock import utcnow
from mloop.core.errors import NotFoundError, ValidationError, invalid_yaml
from mloop.monitoring import scheduled
from mloop.monitoring.model import Monitor, check_monitor

if TYPE_CHECKING:
    from mloop.stores.workspace import Workspace

_FIELDS = tuple(f.name for f in fields(Monitor))


@dataclass(frozen=True)
class ApplyResult:
    """What `apply_monitors` did, by monitor name."""

    created: list[str]
    updated: list[str]
    unchanged: list[str]


def monitor_definition(monitor: Monitor) -> dict[str, Any]:
    """The monitor as JSON (what the store keeps)."""
    definition = asdict(monitor)
    definition["columns"] = list(monitor.columns) if monitor.columns is not None else None
    return definition


def monitor_from_definition(definition: dict[str, Any], where: str = "") -> Monitor:
    """A Monitor from a mapping of its fields (YAML, Python); ValidationError when it is not one."""
    unknown = sorted(set(definition) - set(_FIELDS))
    if unknown:
        raise ValidationError(f"{where}monitor {definition.get('name')!r} has unknown field(s) {', '.join(unknown)}; "
                              f"use: {', '.join(_FIELDS)}")
    values = dict(definition)
    if "name" not in values or "kind" not in values:
        raise ValidationError(f"{where}every monitor needs a name and a kind, got {definition!r}")
    values["options"] = values.get("options") or {}
    if "window" in values and not isinstance(values["window"], str):
        values["window"] = str(values["window"])
    return Monitor(**values)


def stored_monitor(definition: dict[str, Any]) -> Monitor:
    """A Monitor as the store kept it, not checked again: one that no longer passes (its kind
    is not installed here, say) still lists, and running it records a broken monitor instead of
    stopping every other monitor."""
    monitor = object.__new__(Monitor)
    for f in fields(Monitor):
        if f.name in definition:
            value = definition[f.name]
        else:
            value = f.default_factory() if f.default_factory is not MISSING else f.default
        if f.name == "columns" and value is not None:
            value = tuple(value)
        object.__setattr__(monitor, f.name, value)
    return monitor


def load_monitors(path: str | Path) -> list[Monitor]:
    """The monitors declared in a YAML file (`monitors: [...]`) or a Python file or module
    (every Monitor at module level)."""
    text_path = str(path)
    file = Path(text_path)
    if file.suffix in (".yaml", ".yml"):
        return _from_yaml(file)
    if file.suffix == ".py":
        if not file.is_file():
            raise NotFoundError(f"no monitors file {file}; give the path of a .yaml or .py file")
        return _from_module(_import_file(file), text_path)
    if file.is_file():
        raise ValidationError(f"{file}: monitors are declared in a .yaml or .py file")
    try:
        module = importlib.import_module(text_path)
    except ImportError as exc:
        raise NotFoundError(f"no monitors file or module {text_path!r} ({exc}); give a .yaml or .py path") from None
    return _from_module(module, text_path)


def apply_monitors(monitors: list[Monitor] | Monitor | str | Path, *,
                   workspace: Workspace | None = None) -> ApplyResult:
    """Create or update monitors by name (from Monitor objects or a file, see load_monitors), all
    in one transaction. Monitors not named are left alone."""
    from mloop.stores.workspace import get_workspace

    if isinstance(monitors, str | Path):
        declared = load_monitors(monitors)
    elif isinstance(monitors, Monitor):
        declared = [monitors]
    else:
        declared = list(monitors)
    names = [m.name for m in declared]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate is not None:
        raise ValidationError(f"monitor {duplicate!r} is declared twice; give each monitor its own name")
    for monitor in declared:
        if not isinstance(monitor, Monitor):
            raise ValidationError(f"apply_monitors takes mloop.Monitor objects, not {type(monitor).__name__}")
        check_monitor(monitor)
    workspace = workspace or get_workspace()
    workspace.check_writable()
    outcome: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    changes = workspace.monitors.put_monitors([(m.name, m.kind, monitor_definition(m)) for m in declared], utcnow())
    scheduled.sync_schedules(workspace, declared)
    for monitor, change in zip(declared, changes, strict=True):
        outcome[change].append(monitor.name)
    return ApplyResult(**outcome)


def list_monitors(*, active_only: bool = False, workspace: Workspace | None = None) -> list[Monitor]:
    """Every monitor, by name; with `active_only`, those not paused (what a scheduler runs)."""
    from mloop.stores.workspace import get_workspace

    workspace = workspace or get_workspace()
    return [stored_monitor(r.definition) for r in workspace.monitors.list_monitors()
            if not (active_only and r.paused)]


def pause_monitor(name: str, *, workspace: Workspace | None = None) -> None:
    """Stop scheduling a monitor (it keeps its results and can still be run by name)."""
    _set_paused(name, True, workspace)


def resume_monitor(name: str, *, workspace: Workspace | None = None) -> None:
    """Schedule a paused monitor again."""
    _set_paused(name, False, workspace)


def _set_paused(name: str, paused: bool, workspace: Workspace | None) -> None:
    from mloop.stores.workspace import get_workspace

    workspace = workspace or get_workspace()
    if not workspace.monitors.set_paused(name, paused):
        raise NotFoundError(unknown_monitor(name, workspace))
    scheduled.pause_schedule(workspace, name, paused)


def get_monitor(name: str, *, workspace: Workspace | None = None) -> Monitor:
    """The monitor called `name`; NotFoundError naming the known monitors otherwise."""
    from mloop.stores.workspace import get_workspace

    workspace = workspace or get_workspace()
    record = workspace.monitors.get_monitor(name)
    if record is None:
        raise NotFoundError(unknown_monitor(name, workspace))
    return stored_monitor(record.definition)


def delete_monitor(name: str, *, workspace: Workspace | None = None) -> None:
    """Delete a monitor and its results (its alerts stay on record)."""
    from mloop.stores.workspace import get_workspace

    workspace = workspace or get_workspace()
    if not workspace.monitors.delete_monitor(name):
        raise NotFoundError(unknown_monitor(name, workspace))
    scheduled.remove_schedule(workspace, name)


def unknown_monitor(name: str, workspace: Workspace) -> str:
    known = [r.name for r in workspace.monitors.list_monitors()]
    if not known:
        return f"no monitor {name!r}; there are none yet: declare them and run: mloop monitor apply FILE"
    return f"no monitor {name!r}; known monitors: {', '.join(known)}"


def _from_yaml(file: Path) -> list[Monitor]:
    import yaml

    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFoundError(f"no monitors file {file}; give the path of a .yaml or .py file") from None
    except yaml.YAMLError as exc:
        raise ValidationError(invalid_yaml(file, exc)) from None
    entries = document.get("monitors") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValidationError(f"{file}: expected a top-level 'monitors:' list of {{name, kind, ...}} mappings")
    monitors = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ValidationError(f"{file}: monitors[{index}] must be a mapping with name, kind, ...")
        try:
            monitors.append(monitor_from_definition(entry, f"{file}: "))
        except TypeError as exc:
            raise ValidationError(f"{file}: monitors[{index}]: {exc}") from None
        except ValidationError as exc:
            raise ValidationError(str(exc) if str(exc).startswith(str(file)) else f"{file}: {exc}") from None
    return monitors


def _import_file(file: Path) -> Any:
    name = f"mloop_monitors_{abs(hash(str(file.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ValidationError(f"{file}: cannot be imported as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise ValidationError(f"{file}: importing it failed: {type(exc).__name__}: {exc}") from exc
    return module


def _from_module(module: Any, where: str) -> list[Monitor]:
    found = [value for value in vars(module).values() if isinstance(value, Monitor)]
    if not found:
        raise ValidationError(f"{where}: declares no mloop.Monitor at module level")
    return found
