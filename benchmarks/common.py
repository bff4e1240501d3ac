"""What every benchmark script shares."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


def note(message: str) -> None:
    print(f"note: {message}", file=sys.stderr, flush=True)


@contextmanager
def fresh_home() -> Iterator[str]:
    """A new, empty MLOOP_HOME (and cwd) for one workload, so workloads share no cache."""
    before_home, before_cwd = os.environ.get("MLOOP_HOME"), os.getcwd()
    with tempfile.TemporaryDirectory(prefix="mloop-bench-") as folder:
        os.environ["MLOOP_HOME"] = folder
        os.chdir(folder)
        try:
            yield folder
        finally:
            os.chdir(before_cwd)
            if before_home is None:
                os.environ.pop("MLOOP_HOME", None)
            else:
                os.environ["MLOOP_HOME"] = before_home
