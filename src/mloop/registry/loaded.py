"""A loaded model version: predicts only on input that matches its signature."""

from __future__ import annotations

import stat
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mloop.core.errors import ValidationError
from mloop.registry import adapters
from mloop.registry.signature import Signature
from mloop.stores.artifacts import ArtifactStore, load_object
from mloop.stores.workspace import Workspace

if TYPE_CHECKING:
    from mloop.registry.versions import ModelVersion


class LoadedModel:
    """`.predict(df)` / `.predict_proba(df)` check `df` against the signature first (one error
    naming every missing, extra or mistyped column); `.model` is the raw model object."""

    def __init__(self, model: Any, version: ModelVersion) -> None:
        self.model = model
        self.version = version
        self.signature: Signature | None = version.signature

    @classmethod
    def from_version(cls, version: ModelVersion) -> LoadedModel:
        record = version.artifact.record
        return cls(_model_object(version._workspace.artifacts, record.id, record.materializer), version)

    def prepare(self, data: Any) -> Any:
        """`data` checked against the signature, as the DataFrame the model gets."""
        if self.signature is None:
            return data
        return self.signature.validate(data, what=f"input for {self.version.ref}")

    def predict(self, data: Any) -> Any:
        return adapters.predict(self.model, self.prepare(data))

    def predict_proba(self, data: Any) -> Any:
        if not callable(getattr(self.model, "predict_proba", None)):
            raise ValidationError(f"{self.version.ref} ({adapters.type_name(self.model)}) gives no class "
                                  "probabilities; use .predict(...)")
        return self.model.predict_proba(self.prepare(data))

    def __repr__(self) -> str:
        return f"<loaded model {self.version.ref} {adapters.type_name(self.model)}>"


#: (store, digest) -> (the stored file's stat when it was hashed, the model): the models this process
#: loaded last. A model is read-only in use, so loads of one version share the object.
_LOADED: OrderedDict[tuple[str, str], tuple[tuple[int, ...], Any]] = OrderedDict()
_KEEP = 4
_LOCK = threading.Lock()


def _model_object(store: ArtifactStore, digest: str, materializer: str) -> Any:
    """The model stored as `digest`. The first load hashes the bytes (IntegrityError on a
    mismatch) and deserialises them; a later load of the same file, unchanged since (same size,
    inode, mtime and ctime: a rewrite or repair changes them), returns the same object."""
    path = store.local_path(digest)
    stamp = _stamp(path)
    key = (store.url, digest)
    with _LOCK:
        cached = _LOADED.get(key)
        if cached is not None and stamp is not None and cached[0] == stamp:
            _LOADED.move_to_end(key)
            return cached[1]
    model = load_object(store, digest, materializer)
    if stamp is not None:
        with _LOCK:
            _LOADED[key] = (stamp, model)
            _LOADED.move_to_end(key)
            while len(_LOADED) > _KEEP:
                _LOADED.popitem(last=False)
    return model


def _stamp(path: Path) -> tuple[int, ...] | None:
    """What changes when a file's bytes can have changed; None for a folder (not cached)."""
    try:
        info = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return (info.st_size, info.st_ino, info.st_mtime_ns, info.st_ctime_ns)


def load_model(ref: str, workspace: Workspace | None = None) -> LoadedModel:
    """Load 'fraud@champion', 'fraud/3' or 'fraud@latest', verifying the stored bytes' hash. A
    version loaded before in this process, its file unchanged, is not read again (the model
    object is shared: treat it as read-only)."""
    from mloop.registry.versions import get_model_version

    return get_model_version(ref, workspace=workspace).load()
