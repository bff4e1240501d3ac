"""What the UI tests' shared workspace holds (built in conftest.py): its server and the ids of
the runs and alerts the tests look at. A module of its own, because `conftest` is a name every
test folder has (importing it from a test module finds whichever was imported first)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class UiWorld:
    url: str
    home: Path
    first: str      #: lr 0.1, all steps run
    cached: str     #: same params: every step cached
    others: list[str]  #: lr 0.2 and 0.3
    failed: str     #: evaluate raised
    monitor: str
    open_alert: str

    @property
    def compared(self) -> list[str]:
        return [self.first, *self.others]
