"""Artifact previews on an object store (moto S3): a small table is previewed from its first
batch; a large one is not copied down for a preview (the page says so, the download link stays)."""

from __future__ import annotations

from pathlib import Path

import pytest
import ui_models_example

from mloop.ui import artifact_view


@pytest.fixture
def s3_table(sqlite_workspace: Path, s3_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MLOOP_ARTIFACTS_URL", s3_url)
    return str(ui_models_example.table_only.run(n=50).output("ingest").id)


def test_a_small_table_on_s3_is_previewed_and_a_large_one_is_not_copied_down(
        s3_table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    artifact = artifact_view.find_artifact(s3_table)
    preview = artifact_view.table_preview(artifact)

    assert preview is not None and preview["rows"] == 50 and len(preview["head"]) == artifact_view.HEAD_ROWS
    assert preview["head"][0][0] == "t00000" and [c["name"] for c in preview["columns"]] == ["txn", "amount", "age", "y"]
    assert artifact_view.artifact_info(artifact)["preview_skipped"] is False
    monkeypatch.setattr(artifact_view, "REMOTE_PREVIEW_MAX_BYTES", artifact.size - 1)
    assert artifact_view.table_preview(artifact) is None and artifact_view.table_profile(artifact) is None
    assert artifact_view.artifact_info(artifact)["preview_skipped"] is True
