"""The code a step runs, hashed: its own source plus the project code it calls.

A step's cache key must change when its behaviour can, and a step's behaviour lives in helper
functions too. So the hash covers the step function's source and, found through the global names
its code uses (recursively), the source of every function and class defined in the project (not
in the standard library or an installed package) and the value of every plain constant
(numbers, strings, tuples of them). An installed package is covered by the step's requirements
and the recorded environment instead.
"""

from __future__ import annotations

import inspect
import os
import site
import sys
import sysconfig
import textwrap
import types
from collections.abc import Callable, Iterator
from typing import Any

from mloop.core.hashing import hash_bytes

#: folders whose code is not the project's: the standard library and installed packages
_OUTSIDE = tuple(sorted({os.path.realpath(p) + os.sep for p in (
    *(sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")),
    *site.getsitepackages(), site.getusersitepackages()) if p}))


def code_hash(fn: Callable[..., Any]) -> str:
    """Hash of `fn`'s source and of the project code and constants it reaches."""
    parts: list[str] = []
    _function(fn, parts, set())
    return hash_bytes("\0".join(parts).encode())


def _function(fn: Any, parts: list[str], seen: set[int]) -> None:
    """Parts are appended in a traversal order fixed by the code itself (names sorted at each
    level), so the hash does not depend on module names (`__main__` or imported) or on dicts."""
    fn = inspect.unwrap(getattr(fn, "fn", fn))  # a Step: its function
    if id(fn) in seen:
        return
    seen.add(id(fn))
    parts.append(_source(fn))
    code = getattr(fn, "__code__", None)
    if code is None:
        return
    namespace = getattr(fn, "__globals__", {})
    names = sorted(set(_names(code)))
    for name in names:
        value = namespace.get(name, _MISSING)
        if isinstance(value, types.ModuleType):
            if _in_project(value):  # `helpers.clean(df)`: the attributes the code names
                for attribute in names:
                    _value(f"{name}.{attribute}", getattr(value, attribute, _MISSING), parts, seen)
        else:
            _value(name, value, parts, seen)


def _value(name: str, value: Any, parts: list[str], seen: set[int]) -> None:
    if value is _MISSING:
        return
    constant = _constant(value)
    if constant is not None:
        parts.append(f"{name} = {constant}")
    elif isinstance(value, type):
        if _in_project(value) and id(value) not in seen:
            seen.add(id(value))
            parts.append(_source(value))
            for member in vars(value).values():
                member = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
                if isinstance(member, types.FunctionType):
                    _function(member, parts, seen)
    elif isinstance(value, (types.FunctionType, types.MethodType)) or hasattr(value, "fn"):
        if _in_project(getattr(value, "fn", value)):
            _function(value, parts, seen)  # a function, a method or a step
    elif callable(value) and _in_project(type(value)):  # an instance with __call__: its class's code
        _value(name, type(value), parts, seen)


def _names(code: types.CodeType) -> Iterator[str]:
    """Global and attribute names the code uses, nested functions and comprehensions included."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names(const)


def _constant(value: Any) -> str | None:
    """A deterministic text for a plain constant (containers of them too), else None."""
    if isinstance(value, (int, float, complex, str, bytes, bool, type(None))):
        return repr(value)
    if isinstance(value, (tuple, list)):
        items = [_constant(v) for v in value]
        return None if None in items else f"{type(value).__name__}({', '.join(items)})"  # type: ignore[arg-type]
    if isinstance(value, (set, frozenset)):
        items = [_constant(v) for v in value]
        return None if None in items else f"set({', '.join(sorted(items))})"  # type: ignore[arg-type]
    if isinstance(value, dict):
        pairs = [(_constant(k), _constant(v)) for k, v in value.items()]
        if any(k is None or v is None for k, v in pairs):
            return None
        return "dict(" + ", ".join(f"{k}: {v}" for k, v in pairs) + ")"
    return None


def _in_project(obj: Any) -> bool:
    """Code from a file of the project: not the standard library, an installed package or mloop."""
    if isinstance(obj, types.ModuleType):
        module: Any = obj
        path = getattr(obj, "__file__", None)
    else:
        module = sys.modules.get(getattr(obj, "__module__", None) or "")
        code = getattr(obj, "__code__", None)
        path = code.co_filename if code is not None else getattr(module, "__file__", None)
    if not path or path.startswith("<frozen") or (module is not None and module.__name__.partition(".")[0] == "mloop"):
        return False
    if path.startswith("<"):  # made by exec, typed at a prompt: the user's, with no file
        return True
    return not os.path.realpath(path).startswith(_OUTSIDE)


def _source(obj: Any) -> str:
    """The source text; without one (code made by exec, say) the compiled code itself, which,
    unlike a repr, holds no memory address that would change the hash in every process."""
    try:
        return textwrap.dedent(inspect.getsource(obj))
    except (OSError, TypeError):
        code = getattr(obj, "__code__", None)
        if code is not None:
            return _code_text(code)
        return f"{type(obj).__module__}.{type(obj).__qualname__}"


def _code_text(code: types.CodeType) -> str:
    """Bytecode, names and constants, nested code included; sets sorted (their order varies)."""
    def const(value: Any) -> str:
        if isinstance(value, types.CodeType):
            return _code_text(value)
        if isinstance(value, (tuple, list)):
            return "(" + ", ".join(const(v) for v in value) + ")"
        if isinstance(value, (set, frozenset)):
            return "{" + ", ".join(sorted(const(v) for v in value)) + "}"
        return repr(value)

    return f"{code.co_code.hex()} {code.co_names} {code.co_varnames} {const(code.co_consts)}"


_MISSING = object()
