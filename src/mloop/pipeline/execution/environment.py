"""What code and which environment a run used: git state, step sources, python and packages."""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from mloop.core.hashing import hash_json

_ENVIRONMENT: tuple[str, dict[str, Any]] | None = None
_ENV_LOCK = threading.Lock()


def code_version(root: Path) -> dict[str, Any]:
    """git sha, dirty flag and a hash of the uncommitted diff; empty values outside a repository."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.decode(errors="replace") if done.returncode == 0 else None

    if not any((folder / ".git").exists() for folder in (root, *root.parents)):
        return {"git_sha": None, "dirty": None, "diff_hash": None}  # not a repository: no process to start
    sha = git("rev-parse", "HEAD")
    if sha is None:
        return {"git_sha": None, "dirty": None, "diff_hash": None}
    status = git("status", "--porcelain", "--untracked-files=no") or ""
    diff_hash = None
    if status.strip():
        diff = git("diff", "HEAD") or ""
        diff_hash = hashlib.sha256(diff.encode()).hexdigest()
    return {"git_sha": sha.strip(), "dirty": bool(status.strip()), "diff_hash": diff_hash}


def environment() -> tuple[str, dict[str, Any]]:
    """(hash, snapshot) of python, platform and installed package versions; computed once per process."""
    global _ENVIRONMENT
    with _ENV_LOCK:
        if _ENVIRONMENT is None:
            from importlib.metadata import distributions

            packages = {}
            for dist in distributions():
                name = dist.metadata["Name"]
                if name:
                    packages[name.lower()] = dist.version
            snapshot = {
                "python": platform.python_version(),
                "implementation": platform.python_implementation(),
                "platform": platform.platform(),
                "executable": sys.executable,
                "packages": dict(sorted(packages.items())),
            }
            _ENVIRONMENT = (hash_json(snapshot), snapshot)
        return _ENVIRONMENT
