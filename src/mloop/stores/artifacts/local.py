from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from mloop.core.errors import BackendError, NotFoundError
from mloop.core.hashing import hash_path
from mloop.stores.artifacts.base import not_usable


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
        if final.exists() and self._holds(final, digest):
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
            if final.exists():  # stored bytes that fail their hash: replace them
                self._replace(holder, final, digest)
                return self.uri(digest)
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

    def _holds(self, final: Path, digest: str) -> bool:
        """Whether the object folder holds exactly one entry whose bytes hash to `digest`."""
        try:
            entries = os.listdir(final)
        except FileNotFoundError:
            return False
        return len(entries) == 1 and hash_path(final / entries[0]) == digest

    def _replace(self, holder: Path, final: Path, digest: str) -> None:
        """Swap a corrupted object for `holder` by two renames: a reader sees the old object, a
        miss, or the new one, never a mix."""
        self._discard(final)
        try:
            os.rename(holder, final)
        except OSError:
            if not (final.exists() and self._holds(final, digest)):
                raise
            shutil.rmtree(holder, ignore_errors=True)  # an identical writer repaired it first

    def _discard(self, final: Path) -> None:
        trash = self.root / "tmp" / f"discarded-{uuid.uuid4().hex}"
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        try:
            os.rename(final, trash)
        except FileNotFoundError:
            return  # gone already (another writer or a delete)
        shutil.rmtree(trash, ignore_errors=True)

    def _is_staged(self, source: Path) -> bool:
        """Whether `source` sits in a folder from `staging_dir` (ours to move or delete)."""
        return source.parent.parent == self.root / "tmp"

    def put_bytes(self, data: bytes, digest: str, name: str) -> str:
        final = self._object_dir(digest)
        if _holds_bytes(final, data):
            return self.uri(digest)
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

    def check_writable(self) -> None:
        existing = next(p for p in (self.root, *self.root.parents) if p.exists())
        if not existing.is_dir():
            raise not_usable(str(self.root), f"{existing} is a file, not a folder")
        try:
            for folder in (self.root / "tmp", self.root / "objects"):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise not_usable(str(self.root), f"cannot create folder ({_reason(exc)})") from exc
        probe = self.root / "tmp" / f"probe-{uuid.uuid4().hex}"
        try:
            probe.mkdir()
            probe.rmdir()
        except OSError as exc:
            raise not_usable(str(self.root), f"cannot write in it ({_reason(exc)})") from exc
        self._ready = True

    def digests(self) -> Iterator[str]:
        objects = self.root / "objects"
        for prefix in sorted(objects.iterdir()) if objects.is_dir() else ():
            for folder in sorted(prefix.iterdir()) if prefix.is_dir() else ():
                if folder.is_dir():
                    yield folder.name

    def is_intact(self, digest: str) -> bool:
        return hash_path(self.local_path(digest)) == digest

    def delete(self, digest: str) -> None:
        try:
            self._discard(self._object_dir(digest))
        except OSError as exc:
            raise BackendError(f"cannot delete artifact {digest[:12]} under {self.root}: {exc}") from exc


def _holds_bytes(final: Path, data: bytes) -> bool:
    """Whether object folder `final` holds exactly one entry whose bytes are `data` (which hash to
    its digest): what `LocalArtifactStore._holds` answers, by comparing instead of hashing again."""
    try:
        entries = os.listdir(final)
        if len(entries) != 1:
            return False
        path = final / entries[0]
        if os.path.getsize(path) != len(data):
            return False
        return path.read_bytes() == data
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copyfile(source, target)
