from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING


@dataclass(frozen=True)
class _Data:
    """A raw data file or folder given to a step. mloop hashes it, stores a copy as an artifact
    (so lineage reaches the exact bytes) and hands the step the path of that stored copy."""

    path: str

    def __init__(self, path: str | os.PathLike[str]) -> None:
        object.__setattr__(self, "path", os.fspath(path))

    def resolved(self, root: Path | None = None) -> Path:
        path = Path(self.path).expanduser()
        return path if path.is_absolute() else (root or Path.cwd()) / path


if TYPE_CHECKING:
    # To a type checker a Data input is the Path the step receives, so `ingest(Data("x.csv"))`
    # type-checks against `def ingest(raw: Path)`.
    class Data(Path):
        path: str

        def resolved(self, root: Path | None = None) -> Path: ...
else:
    Data = _Data
    Data.__name__ = Data.__qualname__ = "Data"
