"""A stored model whose bytes changed is reported, never loaded."""

from __future__ import annotations

import pytest

import mloop


def test_a_corrupted_model_artifact_raises_integrity_error(trained: mloop.Run) -> None:
    version = mloop.register_model("fraud", trained.output("train"))
    stored = mloop.get_workspace().artifacts.local_path(version.artifact_id)
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))

    with pytest.raises(mloop.IntegrityError, match=rf"artifact {version.artifact_id[:12]} is corrupted"):
        mloop.load_model("fraud/1")
    with pytest.raises(mloop.IntegrityError):
        mloop.register_model("fraud", version.artifact_id)  # nor registered again
