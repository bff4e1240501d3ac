"""Trigger kinds: events that start a job.

A kind is a module (TRIGGER_KINDS maps its name to it, imported when first used) with:

    initial_state(config, workspace, folder) -> dict     what counts as already seen when added
    detect(trigger, workspace, now) -> Detection | None  called on every scheduler tick

`detect` is cheap when nothing happened (a listing, a query) and returns the trigger's new state
and the arguments its job gets; the scheduler writes the state with a compare-and-set, so when
two schedulers see one event only one starts the job, and a restart does not start it again.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from mloop.core.errors import ValidationError

#: kind name -> module; "alert" reads alerts through mloop.scheduling.triggers.alert.alerts_opened_since
TRIGGER_KINDS: dict[str, str] = {
    "new_data": "mloop.scheduling.triggers.new_data",
    "alert": "mloop.scheduling.triggers.alert",
}


@dataclass(frozen=True)
class Detection:
    state: dict[str, Any]
    #: the job's extra arguments; None: only the state moved, start nothing
    arguments: dict[str, Any] | None


def trigger_kind(name: str) -> ModuleType:
    module = TRIGGER_KINDS.get(name)
    if module is None:
        raise ValidationError(f"unknown trigger kind {name!r}; use one of: {', '.join(sorted(TRIGGER_KINDS))}")
    return importlib.import_module(module)
