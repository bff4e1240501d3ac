"""Finding user code again by reference ('module:qualname'), also in another process."""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import os
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from mloop.core.errors import ConfigError, MloopError, NotFoundError


def reference(obj: Any) -> tuple[str, str | None]:
    """('module:qualname', source file of a script module or None) for a function or object."""
    module_name = obj.__module__
    module = sys.modules.get(module_name)
    source_file = getattr(module, "__file__", None) if module_name == "__main__" or _loaded_from_file(module) else None
    return f"{module_name}:{obj.__qualname__}", source_file


def _loaded_from_file(module: ModuleType | None) -> bool:
    return bool(module is not None and getattr(module, "__mloop_file__", False))


def resolve(uses: str, source_file: str | None = None) -> Any:
    """Import 'module:attr.path'; fall back to loading `source_file` (a script) as that module."""
    module_name, _, qualname = uses.partition(":")
    if not qualname:
        raise ConfigError(f"{uses!r} is not a reference; write it as 'package.module:function'")
    module: ModuleType | None = None
    if module_name == "__main__" and source_file:
        main_file = getattr(sys.modules.get("__main__"), "__file__", None)
        if main_file and os.path.abspath(main_file) == os.path.abspath(source_file):
            module = sys.modules["__main__"]
        else:
            module = load_file(source_file, "__mloop_main__")
    else:
        try:
            module = _import_from_project(module_name)
        except ModuleNotFoundError as exc:
            if not source_file or exc.name != module_name:
                raise NotFoundError(f"cannot import {module_name!r} for {uses!r}: {exc}; "
                                    "run from the project folder or install the package") from exc
            module = load_file(source_file, module_name)
    target: Any = module
    parts = qualname.split(".")
    for index, part in enumerate(parts):
        try:
            target = getattr(target, part)
        except AttributeError:
            close = difflib.get_close_matches(part, [n for n in dir(target) if not n.startswith("__")], n=1)
            hint = f"; did you mean '{module_name}:{'.'.join([*parts[:index], close[0]])}'?" if close else ""
            raise NotFoundError(f"{uses!r} not found in module {module_name}{hint}") from None
    return target


def _import_from_project(module_name: str) -> ModuleType:
    """Import a module as `mloop run` would: also from the current folder and the project root
    (a console script, unlike `python script.py`, does not put the current folder on sys.path)."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        top = module_name.partition(".")[0]
        if exc.name not in (module_name, top):
            raise
        added = [folder for folder in _project_folders() if folder not in sys.path]
        if not added:
            raise
        sys.path[:0] = added
        importlib.invalidate_caches()
        return importlib.import_module(module_name)


def _project_folders() -> list[str]:
    from mloop.core.config import find_root

    folders = [os.getcwd()]
    try:
        root = str(Path(os.environ["MLOOP_HOME"]).resolve() if os.environ.get("MLOOP_HOME") else find_root())
    except (OSError, KeyError):
        return folders
    return folders if root in folders else [*folders, root]


def load_file(path: str | os.PathLike[str], module_name: str | None = None) -> ModuleType:
    """Import a Python file as a module (its folder goes on sys.path, so its own imports work)."""
    file = Path(path).resolve()
    if not file.is_file():
        raise NotFoundError(f"no such file: {path}")
    name = module_name or file.stem
    stamp = file.stat().st_mtime_ns
    loaded = sys.modules.get(name)
    if loaded is not None and getattr(loaded, "__file__", None) == str(file) and \
            getattr(loaded, "__mloop_mtime__", stamp) == stamp:
        return loaded  # loaded before and unchanged since (an edited file is loaded again)
    folder = str(file.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot load {file} as Python")
    module = importlib.util.module_from_spec(spec)
    module.__mloop_file__ = True  # type: ignore[attr-defined]
    module.__mloop_mtime__ = stamp  # type: ignore[attr-defined]
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except MloopError:
        sys.modules.pop(name, None)
        raise
    except Exception as exc:
        sys.modules.pop(name, None)
        raise user_code_error(exc, str(file)) from exc
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def user_code_error(exc: BaseException, file: str) -> ConfigError:
    """One line for an exception raised while importing the user's code: where (the file and line
    of the user's code nearest to it) and what; the traceback stays chained for --debug."""
    if isinstance(exc, SyntaxError):
        where = f"{_shown(exc.filename or file)}:{exc.lineno}" if exc.lineno else _shown(exc.filename or file)
        return ConfigError(f"{where}: {type(exc).__name__}: {exc.msg}")
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _is_import_machinery(f.filename)]
    own = [f for f in frames if not _is_installed(f.filename)]  # the project's code, not libraries'
    frame = own[-1] if own else frames[-1] if frames else None
    where = f"{_shown(frame.filename)}:{frame.lineno}" if frame else _shown(file)
    what = "cannot import: " if isinstance(exc, ImportError) else ""
    return ConfigError(f"{where}: {what}{type(exc).__name__}: {exc}")


def _is_import_machinery(filename: str) -> bool:
    return filename.startswith("<frozen ") or os.path.dirname(os.path.abspath(filename)) == os.path.dirname(__file__)


def _is_installed(filename: str) -> bool:
    path = os.path.abspath(filename)
    return any(path.startswith(os.path.abspath(prefix) + os.sep) for prefix in {sys.prefix, sys.base_prefix})


def _shown(path: str) -> str:
    """A path as the user would write it: relative to the current folder when inside it."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
    except ValueError:  # another drive (Windows)
        return path
