"""The artifact store under test, shared by the contract suites of this folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from mloop.stores.artifacts import ArtifactStore, open_artifact_store
from mloop.stores.artifacts.local import LocalArtifactStore
from mloop.stores.artifacts.s3 import S3ArtifactStore


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ArtifactStore:
    """The store under test: a local folder, or a prefix of its own on the moto S3 server."""
    if request.param == "local":
        opened = open_artifact_store(tmp_path / "artifacts")
        assert isinstance(opened, LocalArtifactStore)
        return opened
    s3_url = request.getfixturevalue("s3_url")
    staging = tmp_path / "system-tmp"  # where the S3 store stages uploads, so `staged` sees only ours
    staging.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(staging))
    opened = open_artifact_store(s3_url)
    assert isinstance(opened, S3ArtifactStore)
    return opened
