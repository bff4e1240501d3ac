"""A workspace: the settings plus the stores they point at, opened lazily and shared per process
(mloop.stores.opened holds the one cache of opened stores).

The metadata database is reached through role stores: `workspace.runs` (runs, step runs,
executions, cache lookup), `workspace.lineage` (artifact records, lineage edges, fingerprints),
`workspace.tracking` (logged values, run search), `workspace.registry` (models, versions, aliases,
stages, blessing reports), `workspace.predictions` (the prediction log and labels), `workspace.monitors` (monitors,
results, alerts, webhooks), `workspace.schedules` (schedules, triggers, their fires, scheduler processes), `workspace.access`
(API tokens, the audit trail, protected alias rules); see mloop.stores.metadata."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from mloop.core.config import Settings, load_settings
from mloop.core.errors import ConfigError
from mloop.stores.artifacts import ArtifactStore
from mloop.stores.metadata import (
    AccessStore,
    DeploymentStore,
    FeatureDefinitionStore,
    LineageStore,
    MetadataStores,
    MonitorStore,
    PredictionStore,
    QualityStore,
    RegistryStore,
    RunStore,
    ScheduleStore,
    TrackingStore,
)
from mloop.stores.opened import artifact_store, close_stores, metadata_stores

_CACHE: dict[tuple[str, str, str], Workspace] = {}
_CURRENT: ContextVar[Workspace | None] = ContextVar("mloop_workspace", default=None)
_LOCK = threading.Lock()


class Workspace:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._metadata: MetadataStores | None = None
        self._artifacts: ArtifactStore | None = None
        self._writable = False

    @property
    def metadata(self) -> MetadataStores:
        """Every role store of the metadata database (prefer the role properties below); with a
        `tracking_uri`, those of the mloop server there (mloop.stores.remote)."""
        if self._metadata is None:
            self._metadata = metadata_stores(self.settings.tracking_uri or self.settings.db_url)
        return self._metadata

    @property
    def runs(self) -> RunStore:
        """Runs, step runs, executions, environments, cache lookup."""
        return self.metadata.runs

    @property
    def lineage(self) -> LineageStore:
        """Artifact records, lineage edges, data fingerprints."""
        return self.metadata.lineage

    @property
    def tracking(self) -> TrackingStore:
        """Logged metrics, params, tags and artifacts; run search."""
        return self.metadata.tracking

    @property
    def registry(self) -> RegistryStore:
        """Models, versions, aliases, stages, blessing reports."""
        return self.metadata.registry

    @property
    def deployments(self) -> DeploymentStore:
        """Served models, their swaps, and readiness checks of versions."""
        return self.metadata.deployments

    @property
    def features(self) -> FeatureDefinitionStore:
        """Versioned feature-store definitions; what was materialized online."""
        return self.metadata.features

    @property
    def quality(self) -> QualityStore:
        """Data profiles of artifacts and model versions; quality report summaries."""
        return self.metadata.quality

    @property
    def predictions(self) -> PredictionStore:
        """Logged predictions, their Parquet segments, ground-truth labels."""
        return self.metadata.predictions

    @property
    def monitors(self) -> MonitorStore:
        """Monitors and their results, alerts, webhooks and the messages queued for them."""
        return self.metadata.monitors

    @property
    def schedules(self) -> ScheduleStore:
        """Schedules and triggers of jobs, their claimed fires, scheduler processes."""
        return self.metadata.schedules

    @property
    def access(self) -> AccessStore:
        """API tokens of the team server, the audit trail of writes, protected alias rules."""
        return self.metadata.access

    @property
    def artifacts(self) -> ArtifactStore:
        """The artifact objects: a folder or bucket, or (remote client mode) the server's."""
        if self._artifacts is None:
            url = self.settings.tracking_uri or self.settings.artifacts_url
            self._artifacts = artifact_store(url, self.settings.artifacts_options)
        return self._artifacts

    @property
    def logs_dir(self) -> Path:
        return self.settings.state_dir / "logs"

    def check_writable(self) -> None:
        """Raise ConfigError (one line: which store, why, the fix) unless a run can write its artifacts,
        step logs and metadata here; creates the stores (reads never do). Called before a run is
        recorded, so a bad setting leaves nothing behind. Checked once per workspace: the probe
        write costs more than a small step (a store that breaks later fails the write that meets it)."""
        if self._writable:
            return
        self.artifacts.check_writable()
        try:
            self.logs_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"state folder {self.settings.state_dir} is not usable: cannot create "
                              f"{self.logs_dir} ({exc.strerror or exc}); run from a writable project folder "
                              "or set MLOOP_HOME") from exc
        self.metadata.check_writable()
        self._writable = True

    def close(self) -> None:
        """Forget the stores (the process's store cache closes them: reset_workspaces)."""
        self._metadata = None
        self._artifacts = None
        self._writable = False


def get_workspace(settings: Settings | None = None) -> Workspace:
    """The workspace for `settings` (default: the one `using_workspace` set in this context, else
    from mloop.yaml and MLOOP_* in the current folder)."""
    if settings is None:
        current = _CURRENT.get()
        if current is not None:
            return current
    settings = settings or load_settings()
    key = (str(settings.root), settings.db_url, settings.artifacts_url)
    with _LOCK:
        workspace = _CACHE.get(key)
        if workspace is None or workspace.settings != settings:
            workspace = _CACHE[key] = Workspace(settings)
        return workspace


@contextmanager
def using_workspace(workspace: Workspace | None) -> Iterator[None]:
    """Within this block (this thread or task, and the threads it starts through contextvars-aware
    pools), `get_workspace()` without settings is `workspace`; None changes nothing. A server
    serving a workspace other than its folder's sets it per request."""
    if workspace is None:
        yield
        return
    token = _CURRENT.set(workspace)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def reset_workspaces() -> None:
    """Forget opened workspaces and close every opened store, e.g. between tests."""
    with _LOCK:
        for workspace in _CACHE.values():
            workspace.close()
        _CACHE.clear()
    close_stores()
