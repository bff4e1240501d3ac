"""One cache of opened stores per process: the workspace, step tasks and the tracking writer share
one MetadataStores (one connection pool) and one artifact store per URL."""

from __future__ import annotations

from pathlib import Path

import mloop
from mloop import pipeline, step
from mloop.stores import opened
from mloop.stores.workspace import get_workspace, reset_workspaces
from mloop.tracking.buffer import sink_for


@step(cache=False)
def scored() -> float:
    mloop.log_metric("auc", 0.91)
    return 0.91


@pipeline(name="shared-stores")
def shared() -> None:
    scored()


def test_a_run_with_tracking_opens_each_store_once(sqlite_workspace: Path) -> None:
    run = shared.run()
    assert run.status == "succeeded"
    assert mloop.get_run_data(run.id).metrics["auc"] == 0.91

    workspace = get_workspace()
    assert list(opened._METADATA) == [workspace.settings.db_url]  # one database opened, by everyone
    assert workspace.metadata is opened.metadata_stores(workspace.settings.db_url)
    assert sink_for(workspace.settings.db_url).store is workspace.metadata
    assert len(opened._ARTIFACTS) == 1
    assert opened.artifact_store(workspace.settings.artifacts_url, workspace.settings.artifacts_options) \
        is workspace.artifacts


def test_reset_closes_and_forgets_every_opened_store(sqlite_workspace: Path) -> None:
    stores = get_workspace().metadata
    stores.check_writable()  # opens (and creates) the database: reads alone would not
    assert stores.database._engine is not None
    reset_workspaces()
    assert stores.database._engine is None
    assert opened._METADATA == {} and opened._ARTIFACTS == {}
    assert get_workspace().metadata is not stores
