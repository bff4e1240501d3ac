"""A Dask LocalCluster started from a script: its worker processes import the script again, and a
run started at the script's top level (outside `if __name__ == "__main__":`) would start again in
each of them. Found before the cluster starts, it is one line saying what to add."""

from __future__ import annotations

import ast
import os
import sys
from types import FrameType

from mloop.core.errors import ConfigError


def check_main_guard(executor: str, address: str) -> None:
    """ConfigError when a LocalCluster would start from a line of the `__main__` script that is
    not under `if __name__ == "__main__":` (nothing is said when that cannot be known)."""
    if executor != "dask" or address:
        return
    main = sys.modules.get("__main__")
    file = getattr(main, "__file__", None)
    frame = _module_frame(vars(main)) if main is not None and file else None
    if frame is None or not file:
        return
    line = frame.f_lineno
    if _guarded_lines(file, line):
        return
    shown = os.path.relpath(file) if not os.path.relpath(file).startswith("..") else file
    raise ConfigError(f"{shown}:{line}: the Dask LocalCluster's worker processes re-run {os.path.basename(file)} "
                      "from the top; put the run under if __name__ == \"__main__\": (or pass the address of a "
                      "running scheduler)")


def _module_frame(namespace: dict[str, object]) -> FrameType | None:
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_globals is namespace and frame.f_code.co_name == "<module>":
            return frame
        frame = frame.f_back
    return None


def _guarded_lines(file: str, line: int) -> bool:
    """Whether `line` of `file` is inside an `if __name__ == "__main__":` block (True when unsure)."""
    try:
        with open(file, encoding="utf-8") as source:
            tree = ast.parse(source.read(), file)
    except (OSError, SyntaxError, ValueError):
        return True
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_main_test(node.test):
            end = node.end_lineno or node.lineno
            if node.lineno <= line <= end:
                return True
    return False


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    constants = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return len(names) == 1 and len(constants) == 1
