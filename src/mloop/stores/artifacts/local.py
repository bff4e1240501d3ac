from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from mloop.core.errors import BackendError, NotFoundError


class LocalArtifactStore:
    """Objects in a local (or mounted) folder. `put` is a rename, so writes are atomic."""

    supports_local_paths = True
    supports_remote_access = False

    def __init__(self, url: str) -> None:
        path = url[len("file://") :] if url.startswith("file://") else url
        self.root = Path(path).expanduser().resolve()
        self.url = str(self.root)
        self._ready = False
        self._prefixes: set[Path] = set()

    def _object_dir(self, digest: str) -> Path:
        return self.root / "objects" / digest[:2] / digest

    def staging_dir(self) -> Path:
        if not self._ready:
            (self.root / "tmp").mkdir(parents=True, exist_ok=True)
            (self.root / "objects").mkdir(parents=True, exist_ok=True)
            self._ready = True
        folder = self.root / "tmp" / uuid.uuid4().hex
        folder.mkdir()
        return folder

    def put(self, source: Path, digest: str) -> str:
        final = self._object_dir(digest)
        staged = self._is_staged(source)
        if final.exists():
            if staged:
                shutil.rmtree(source.parent, ignore_errors=True)
            return self.uri(digest)
        try:
            if final.parent not in self._prefixes:  # 256 prefix folders: create each once per process
                final.parent.mkdir(parents=True, exist_ok=True)
                self._prefixes.add(final.parent)
            if staged:
                holder = source.parent  # rename the whole staging folder into place
            else:
                holder = Path(self.staging_dir())
                _copy(source, holder / source.name)
            try:
                try:
                    os.rename(holder, final)
                except FileNotFoundError:  # the prefix folder was removed since we made it
                    final.parent.mkdir(parents=True, exist_ok=True)
                    os.rename(holder, final)
            except OSError:
                if not final.exists():
                    raise
                shutil.rmtree(holder, ignore_errors=True)  # lost a race to an identical writer
        except OSError as exc:
            raise BackendError(f"cannot write artifact {digest[:12]} under {self.root}: {exc}") from exc
        return self.uri(digest)

    def _is_staged(self, source: Path) -> bool:
        """Whether `source` sits in a folder from `staging_dir` (ours to move or delete)."""
        return source.parent.parent == self.root / "tmp"

    def put_bytes(self, data: bytes, digest: str, name: str) -> str:
        staging = self.staging_dir()
        try:
            (staging / name).write_bytes(data)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise BackendError(f"cannot write artifact {digest[:12]} under {self.root}: {exc}") from exc
        return self.put(staging / name, digest)

    def exists(self, digest: str) -> bool:
        return self._object_dir(digest).is_dir()

    def local_path(self, digest: str) -> Path:
        folder = self._object_dir(digest)
        try:
            entries = os.listdir(folder)
        except FileNotFoundError:
            raise NotFoundError(f"artifact object {digest[:12]} is missing from {self.root}") from None
        if len(entries) != 1:
            raise NotFoundError(f"artifact object {digest[:12]} under {folder} is damaged ({len(entries)} entries)")
        return folder / entries[0]

    def uri(self, digest: str) -> str:
        return str(self._object_dir(digest))


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copyfile(source, target)
