"""A workspace: the settings plus the stores they point at, opened lazily and shared per process."""

from __future__ import annotations

import threading
from pathlib import Path

from mloop.core.config import Settings, load_settings
from mloop.core.errors import ConfigError
from mloop.stores.artifacts import ArtifactStore, open_artifact_store
from mloop.stores.metadata import MetadataStore, open_metadata_store

_CACHE: dict[tuple[str, str, str], Workspace] = {}
_LOCK = threading.Lock()


class Workspace:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._metadata: MetadataStore | None = None
        self._artifacts: ArtifactStore | None = None

    @property
    def metadata(self) -> MetadataStore:
        if self._metadata is None:
            self._metadata = open_metadata_store(self.settings.db_url)
        return self._metadata

    @property
    def artifacts(self) -> ArtifactStore:
        if self._artifacts is None:
            self._artifacts = open_artifact_store(self.settings.artifacts_url, self.settings.artifacts_options)
        return self._artifacts

    @property
    def logs_dir(self) -> Path:
        return self.settings.state_dir / "logs"

    def check_writable(self) -> None:
        """Raise ConfigError (one line: which store, why, the fix) unless a run can write its artifacts,
        step logs and metadata here; creates the stores (reads never do). Called before a run is
        recorded, so a bad setting leaves nothing behind."""
        self.artifacts.check_writable()
        try:
            self.logs_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"state folder {self.settings.state_dir} is not usable: cannot create "
                              f"{self.logs_dir} ({exc.strerror or exc}); run from a writable project folder "
                              "or set MLOOP_HOME") from exc
        self.metadata.check_writable()

    def close(self) -> None:
        if self._metadata is not None:
            self._metadata.close()
            self._metadata = None


def get_workspace(settings: Settings | None = None) -> Workspace:
    """The workspace for `settings` (default: from mloop.yaml and MLOOP_* in the current folder)."""
    settings = settings or load_settings()
    key = (str(settings.root), settings.db_url, settings.artifacts_url)
    with _LOCK:
        workspace = _CACHE.get(key)
        if workspace is None or workspace.settings != settings:
            workspace = _CACHE[key] = Workspace(settings)
        return workspace


def reset_workspaces() -> None:
    """Forget opened workspaces (closing their connections), e.g. between tests."""
    with _LOCK:
        for workspace in _CACHE.values():
            workspace.close()
        _CACHE.clear()
