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


def test_a_version_loaded_before_is_reused_until_its_file_changes(trained: mloop.Run) -> None:
    version = mloop.register_model("fraud", trained.output("train"))
    first, again = mloop.load_model("fraud/1"), mloop.load_model("fraud/1")
    assert again.model is first.model  # not read, hashed and deserialised a second time

    stored = mloop.get_workspace().artifacts.local_path(version.artifact_id)
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))  # changed after it was loaded: the next load checks the bytes again
    with pytest.raises(mloop.IntegrityError, match=rf"artifact {version.artifact_id[:12]} is corrupted"):
        mloop.load_model("fraud@latest")

    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))  # repaired: loaded afresh, a new object
    repaired = mloop.load_model("fraud/1")
    assert repaired.model is not first.model
    assert type(repaired.model) is type(first.model)
