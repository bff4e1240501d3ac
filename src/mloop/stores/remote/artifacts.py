"""The artifact store of a remote mloop server. Uploads go to the server, which stores an object
only when its bytes hash to the digest; downloads land in a local cache (`.mloop/cache/remote/`
of the project) by atomic rename, after their digest is checked, and are reused from there."""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from mloop.core.errors import IntegrityError, NotFoundError
from mloop.core.hashing import hash_path
from mloop.stores.remote.client import RemoteClient, remote_client

STAGE_PREFIX = "mloop-stage-"


class RemoteArtifactStore:
    """Objects on the server at `url`, read through a local download cache under `cache_root`."""

    supports_local_paths = False
    supports_remote_access = True

    def __init__(self, url: str, cache_root: Path) -> None:
        self.url = url.rstrip("/")
        parts = urlsplit(self.url)
        self.cache_dir = Path(cache_root) / f"{parts.hostname}_{parts.port or 80}"
        self._known: set[str] = set()

    @property
    def client(self) -> RemoteClient:
        return remote_client(self.url)

    def staging_dir(self) -> Path:
        return Path(tempfile.mkdtemp(prefix=STAGE_PREFIX))

    def put(self, source: Path, digest: str) -> str:
        try:
            if not self.exists(digest):
                if source.is_dir():
                    with tempfile.TemporaryFile() as archive:
                        with tarfile.open(fileobj=archive, mode="w") as tar:
                            for file in sorted(p for p in source.rglob("*") if p.is_file()):
                                tar.add(file, arcname=file.relative_to(source).as_posix())
                        archive.seek(0)
                        self._upload(digest, source.name, "folder", archive)
                else:
                    with open(source, "rb") as handle:
                        self._upload(digest, source.name, "file", handle)
        finally:
            if source.parent.name.startswith(STAGE_PREFIX):
                shutil.rmtree(source.parent, ignore_errors=True)
        return self.uri(digest)

    def put_bytes(self, data: bytes, digest: str, name: str) -> str:
        if not self.exists(digest):
            self._upload(digest, name, "file", data)
        return self.uri(digest)

    def _upload(self, digest: str, name: str, kind: str, content: object) -> None:
        with self.client.errors(f"the upload of artifact {digest[:12]}"):
            response = self.client.http.put(f"/artifacts/{digest}", params={"name": name, "kind": kind},
                                            content=content)  # type: ignore[arg-type]
        self.client.raise_for(response)
        self._known.add(digest)

    def exists(self, digest: str) -> bool:
        if digest in self._known:
            return True
        with self.client.errors(f"the lookup of artifact {digest[:12]}"):
            response = self.client.http.head(f"/artifacts/{digest}")
        if response.status_code == 404:
            return False
        self.client.raise_for(response)
        self._known.add(digest)
        return True

    def local_path(self, digest: str) -> Path:
        folder = self.cache_dir / digest[:2] / digest
        if folder.is_dir():
            entries = os.listdir(folder)
            if len(entries) == 1:
                return folder / entries[0]
        staging = folder.parent / f".{digest}.{uuid.uuid4().hex}"
        staging.mkdir(parents=True)
        try:
            name = self._download(digest, staging)
            actual = hash_path(staging / name)
            if actual != digest:
                raise IntegrityError(f"artifact {digest[:12]} downloaded from {self.url} hashes to {actual[:12]}; "
                                     "the server's copy or the transfer is corrupted (check it: mloop gc --verify)")
            try:
                os.rename(staging, folder)
            except OSError:
                if not folder.is_dir():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return folder / name

    def _download(self, digest: str, staging: Path) -> str:
        """Download object `digest` into `staging`; its name."""
        part = staging.parent / f"{staging.name}.part"
        try:
            with self.client.errors(f"the download of artifact {digest[:12]}"), \
                    self.client.http.stream("GET", f"/artifacts/{digest}") as response:
                if response.status_code == 404:
                    raise NotFoundError(f"artifact object {digest[:12]} is missing from the mloop server at {self.url}")
                if not response.is_success:
                    response.read()
                    self.client.raise_for(response)
                name, kind = response.headers["x-mloop-name"], response.headers["x-mloop-kind"]
                if "/" in name or "\\" in name or name in (".", ".."):
                    raise IntegrityError(f"the mloop server at {self.url} named artifact {digest[:12]} {name!r}")
                with open(part, "wb") as handle:
                    for chunk in response.iter_bytes(1 << 20):
                        handle.write(chunk)
            if kind == "folder":
                (staging / name).mkdir()
                with tarfile.open(part, "r:*") as archive:
                    archive.extractall(staging / name, filter="data")
            else:
                part.rename(staging / name)
        finally:
            part.unlink(missing_ok=True)
        return name

    def uri(self, digest: str) -> str:
        return f"{self.url}/api/v1/artifacts/{digest}"

    def check_writable(self) -> None:
        """The server checks its own stores (and this caller's right to write)."""
        with self.client.errors("the write check"):
            response = self.client.http.post("/stores/writable")
        self.client.raise_for(response)

    def digests(self) -> Iterator[str]:
        with self.client.errors("the listing of artifacts"):
            response = self.client.http.get("/artifacts")
        self.client.raise_for(response)
        yield from response.json()

    def is_intact(self, digest: str) -> bool:
        with self.client.errors(f"the check of artifact {digest[:12]}"):
            response = self.client.http.get(f"/artifacts/{digest}/intact")
        self.client.raise_for(response)
        return bool(response.json()["intact"])

    def delete(self, digest: str) -> None:
        self._known.discard(digest)
        with self.client.errors(f"the delete of artifact {digest[:12]}"):
            response = self.client.http.delete(f"/artifacts/{digest}")
        self.client.raise_for(response)
        shutil.rmtree(self.cache_dir / digest[:2] / digest, ignore_errors=True)
