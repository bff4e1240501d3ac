"""The `new_data` trigger: a local folder, glob pattern or fsspec URL watched on each tick. A file
whose (path, size, modification time) was not seen before is new; the job gets the new paths as
the argument named by `param_name` (default "files"). A new partition is a folder of new files."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mloop.core.errors import BackendError, ConfigError, ValidationError
from mloop.scheduling.triggers import Detection

if TYPE_CHECKING:
    from mloop.stores.metadata.schedules import TriggerRecord
    from mloop.stores.workspace import Workspace

_GLOB = frozenset("*?[")


def initial_state(config: dict[str, Any], workspace: Workspace, folder: Path) -> dict[str, Any]:
    """What is there when the trigger is added is not new."""
    return {"seen": list_files(config["path"], folder)}


def detect(trigger: TriggerRecord, workspace: Workspace, now: datetime) -> Detection | None:
    folder = Path(trigger.folder) if trigger.folder else workspace.settings.root
    current = list_files(trigger.config["path"], folder)
    seen = trigger.state.get("seen", {})
    new = sorted(path for path, signature in current.items() if seen.get(path) != signature)
    if not new:
        return None
    return Detection({"seen": current}, {trigger.config.get("param_name") or "files": new})


def list_files(path: str, folder: Path) -> dict[str, list[Any]]:
    """Every file under `path` (a folder, a file, a glob pattern; local or an fsspec URL) as
    {path: [size, modification time]}; nothing when it does not exist yet."""
    import fsspec

    if "://" not in path and not os.path.isabs(path):
        path = str(folder / path)
    try:
        fs, root = fsspec.core.url_to_fs(path)
        if _GLOB & set(root):
            matches = fs.glob(root, detail=True)
        elif fs.isdir(root):
            matches = fs.find(root, detail=True)
        elif fs.exists(root):
            matches = {root: fs.info(root)}
        else:
            matches = {}
        files: dict[str, list[Any]] = {}
        for name, info in matches.items():
            if info.get("type") == "directory":  # a partition matched by the pattern: its files
                for inner, inner_info in fs.find(name, detail=True).items():
                    files[_shown(fs, inner)] = _signature(inner_info)
            else:
                files[_shown(fs, name)] = _signature(info)
    except OSError as exc:
        raise BackendError(f"cannot list {path}: {exc}") from exc
    except ImportError as exc:  # a protocol whose fsspec package is not installed (s3fs, gcsfs, ...)
        raise ConfigError(f"cannot watch {path}: {exc}") from exc
    except ValueError as exc:  # an unknown protocol
        raise ValidationError(f"cannot watch {path}: {exc}") from exc
    return files


def _signature(info: dict[str, Any]) -> list[Any]:
    modified = info.get("mtime") or info.get("LastModified") or info.get("last_modified") or info.get("created")
    return [int(info.get("size") or 0), str(modified)]


def _shown(fs: Any, name: str) -> str:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return name if protocol in ("file", "local") else fs.unstrip_protocol(name)
