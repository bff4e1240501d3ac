"""Artifacts in any S3-compatible object store (AWS S3, MinIO, Ceph, moto ...) through s3fs.

Layout under `s3://bucket/prefix`: an object's bytes at `objects/<ab>/<digest>/<name>` and,
written last, a marker `objects/<ab>/<digest>.json` naming it. A reader trusts only the marker,
so a crash mid-upload never shows a half object; each file is one PUT (or one multipart
upload), which S3 makes visible whole or not at all. Reads are downloaded once into a local
cache (`MLOOP_CACHE_DIR`, default ~/.cache/mloop) and verified against the digest on load.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mloop.core.errors import BackendError, ConfigError, NotFoundError, missing_extra
from mloop.core.hashing import hash_path
from mloop.stores.artifacts.base import not_usable


class S3ArtifactStore:
    supports_local_paths = False
    supports_remote_access = True

    def __init__(self, url: str, options: dict[str, Any] | None = None) -> None:
        rest = url[len("s3://"):]
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise ConfigError(f"artifact URL {url!r} names no bucket; write s3://bucket/prefix")
        self.url = url.rstrip("/")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.options = dict(options or {})
        self._fs: Any = None
        self._known: set[str] = set()
        cache = os.environ.get("MLOOP_CACHE_DIR") or os.path.join(Path.home(), ".cache", "mloop")
        self.cache_dir = Path(cache) / "s3" / bucket / (self.prefix or "_")

    @property
    def fs(self) -> Any:
        if self._fs is None:
            try:
                import s3fs
            except ModuleNotFoundError as exc:
                raise missing_extra("s3fs", "s3") from exc
            endpoint = (self.options.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL_S3")
                        or os.environ.get("AWS_ENDPOINT_URL"))
            client_kwargs = {"endpoint_url": endpoint} if endpoint else {}
            if os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION"):
                client_kwargs["region_name"] = os.environ.get("AWS_REGION") or os.environ["AWS_DEFAULT_REGION"]
            self._fs = s3fs.S3FileSystem(client_kwargs=client_kwargs, use_listings_cache=False,
                                         skip_instance_cache=True)
        return self._fs

    def _key(self, *parts: str) -> str:
        return "/".join(p for p in (self.bucket, self.prefix, *parts) if p)

    def _object(self, digest: str) -> str:
        return self._key("objects", digest[:2], digest)

    def _marker(self, digest: str) -> str:
        return self._object(digest) + ".json"

    @contextmanager
    def _seam(self, what: str) -> Iterator[None]:
        try:
            yield
        except (NotFoundError, BackendError):
            raise
        except FileNotFoundError as exc:
            raise NotFoundError(f"{what}: not found in {self.url} ({exc})") from exc
        except Exception as exc:  # botocore / aiohttp errors vary by version: map them all here
            raise BackendError(f"{what} on {self.url}: {type(exc).__name__}: {exc}") from exc

    def staging_dir(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="mloop-stage-"))

    def put(self, source: Path, digest: str) -> str:
        try:
            if not self._holds(digest, lambda: _md5_file(source) if source.is_file() else None):
                with self._seam(f"upload of artifact {digest[:12]}"):
                    if source.is_dir():
                        files = sorted(p for p in source.rglob("*") if p.is_file())
                        for file in files:
                            self.fs.put_file(str(file), f"{self._object(digest)}/{source.name}/"
                                             f"{file.relative_to(source).as_posix()}")
                        kind = "folder"
                    else:
                        self.fs.put_file(str(source), f"{self._object(digest)}/{source.name}")
                        kind = "file"
                    self._write_marker(digest, source.name, kind)
        finally:
            if source.parent.name.startswith("mloop-stage-"):
                shutil.rmtree(source.parent, ignore_errors=True)
        return self.uri(digest)

    def put_bytes(self, data: bytes, digest: str, name: str) -> str:
        if not self._holds(digest, lambda: hashlib.md5(data, usedforsecurity=False).hexdigest()):
            with self._seam(f"upload of artifact {digest[:12]}"):
                self.fs.pipe_file(f"{self._object(digest)}/{name}", data)
                self._write_marker(digest, name, "file")
        return self.uri(digest)

    def _holds(self, digest: str, md5: Callable[[], str | None]) -> bool:
        """Whether object `digest` is stored intact; a corrupted one is deleted (to be written again).
        A single-part upload's ETag is the MD5 of its bytes, so one HEAD request matching the
        writer's MD5 proves the stored file intact; otherwise it is downloaded and hashed."""
        if not self.exists(digest):
            return False
        with self._seam(f"check of artifact {digest[:12]}"):
            marker = json.loads(self.fs.cat_file(self._marker(digest)))
            if marker["kind"] == "file":
                tag = str(self.fs.info(f"{self._object(digest)}/{marker['name']}").get("ETag", "")).strip('"')
                if tag and tag == md5():
                    return True
        if self.is_intact(digest):
            return True
        self.delete(digest)
        return False

    def _write_marker(self, digest: str, name: str, kind: str) -> None:
        self.fs.pipe_file(self._marker(digest), json.dumps({"name": name, "kind": kind}).encode())
        self._known.add(digest)

    def exists(self, digest: str) -> bool:
        if digest in self._known:
            return True
        with self._seam(f"lookup of artifact {digest[:12]}"):
            found = bool(self.fs.exists(self._marker(digest)))
        if found:
            self._known.add(digest)
        return found

    def local_path(self, digest: str) -> Path:
        folder = self.cache_dir / digest[:2] / digest
        if folder.is_dir():
            entries = os.listdir(folder)
            if len(entries) == 1:
                return folder / entries[0]
        with self._seam(f"download of artifact {digest[:12]}"):
            try:
                marker = json.loads(self.fs.cat_file(self._marker(digest)))
            except FileNotFoundError:
                raise NotFoundError(f"artifact object {digest[:12]} is missing from {self.url}") from None
            staging = folder.parent / f".{digest}.{uuid.uuid4().hex}"
            staging.mkdir(parents=True)
            try:
                _download(self.fs, f"{self._object(digest)}/{marker['name']}", marker["kind"], staging / marker["name"])
                try:
                    os.rename(staging, folder)
                except OSError:
                    if not folder.is_dir():
                        raise
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return folder / marker["name"]

    def uri(self, digest: str) -> str:
        return "s3://" + self._object(digest)

    def check_writable(self) -> None:
        probe = self._key("tmp", f"probe-{uuid.uuid4().hex}")
        try:
            fs = self.fs
            fs.pipe_file(probe, b"")
            fs.rm_file(probe)
        except ConfigError:
            raise  # s3fs is not installed: the error names the extra to install
        except Exception as exc:  # botocore / aiohttp errors vary by version: map them all here
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0]}" if str(exc) else type(exc).__name__
            raise not_usable(self.url, f"cannot write to it ({reason})", "a writable bucket and prefix") from exc

    def digests(self) -> Iterator[str]:
        with self._seam("listing of artifacts"):
            keys = self.fs.find(self._key("objects"), maxdepth=2)
        for key in sorted(keys):
            name = key.rsplit("/", 1)[-1]
            if name.endswith(".json") and key.count("/") == self._key("objects").count("/") + 2:
                yield name[: -len(".json")]

    def is_intact(self, digest: str) -> bool:
        self.evict(digest)  # hash what the store holds, not an earlier download
        intact = hash_path(self.local_path(digest)) == digest
        if not intact:
            self.evict(digest)
        return intact

    def delete(self, digest: str) -> None:
        self._known.discard(digest)
        with self._seam(f"delete of artifact {digest[:12]}"):
            if self.fs.exists(self._marker(digest)):
                self.fs.rm_file(self._marker(digest))  # first: readers see a miss, never half an object
            if self.fs.exists(self._object(digest)):
                self.fs.rm(self._object(digest), recursive=True)
        self.evict(digest)

    def evict(self, digest: str) -> None:
        """Drop the local cached copy (e.g. after a failed integrity check)."""
        shutil.rmtree(self.cache_dir / digest[:2] / digest, ignore_errors=True)


def _download(fs: Any, source: str, kind: str, target: Path) -> None:
    if kind == "folder":
        # file by file, so an empty folder (no keys at all) comes back as an empty folder
        keys = sorted(fs.find(source))
        files = [target / key[len(source) + 1:] for key in keys]
        for path in {target, *(p.parent for p in files)}:
            path.mkdir(parents=True, exist_ok=True)
        if keys:
            fs.get(keys, [str(p) for p in files])
    else:
        fs.get_file(source, str(target))


def _md5_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, lambda: hashlib.md5(usedforsecurity=False)).hexdigest()
