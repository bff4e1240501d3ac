"""The demo's own project on the embedded defaults, whatever the current folder and MLOOP_*
variables say."""

from __future__ import annotations

from pathlib import Path

from mloop.stores.workspace import Workspace, get_workspace


def demo_workspace(folder: Path) -> Workspace:
    """SQLite metadata, a local artifact folder and a SQLite online store, all in `folder/.mloop`."""
    from mloop.core.config import Settings

    state = folder / ".mloop"
    return get_workspace(Settings(root=folder, db_url=f"sqlite:///{state / 'mloop.db'}",
                                  artifacts_url=str(state / "artifacts"), online_url=f"sqlite:///{state / 'online.db'}"))
