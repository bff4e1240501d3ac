"""Monitor kinds: each measures one window of a monitor's data and judges it.

A kind is a function `evaluate(monitor, workspace, start, end) -> Measurement`, imported the
first time a monitor of that kind runs (KINDS maps the kind's name to `module:function`). A
kind reads data vectorised (DuckDB over the prediction log, pyarrow, numpy), never row by row.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from mloop.core.errors import ValidationError
from mloop.monitoring.kind_table import KINDS

if TYPE_CHECKING:
    from mloop.monitoring.model import Measurement, Monitor
    from mloop.stores.workspace import Workspace

    Kind = Callable[[Monitor, Workspace, datetime, datetime], Measurement]

__all__ = ["KINDS", "kind_function"]


def kind_function(name: str) -> Kind:
    """The evaluate function of kind `name`; ValidationError naming the known kinds otherwise."""
    target = KINDS.get(name)
    if target is None:
        raise ValidationError(f"unknown monitor kind {name!r}; use one of: {', '.join(sorted(KINDS))}")
    module, function = target.split(":")
    evaluate: Kind = getattr(importlib.import_module(module), function)
    return evaluate
