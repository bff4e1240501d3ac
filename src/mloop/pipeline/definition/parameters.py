"""A pipeline's parameters, typed: values from the command line (text) or from a Python caller are
coerced to the declared type, and what does not fit is refused before anything runs.

The type is the parameter's annotation in a `@pipeline` function, or the type of its default in a
YAML pipeline; a parameter without one takes any JSON value (text parsed as YAML, as `-p` always did).
"""

from __future__ import annotations

import contextlib
import inspect
import typing
from dataclasses import dataclass
from typing import Any

from mloop.core.errors import ValidationError

_EMPTY = inspect.Parameter.empty
#: annotations that are plain classes mloop can check; other classes (Data, Path, a user's own)
#: are left to the pipeline function, as before
_CHECKED_CLASSES = (bool, int, float, str, list, dict, tuple)


@dataclass(frozen=True)
class Parameter:
    name: str
    annotation: Any = None  # None: not declared, any JSON value
    default: Any = _EMPTY

    def describe(self) -> str:
        written = (self.annotation.__name__ if isinstance(self.annotation, type) and not typing.get_args(self.annotation)
                   else str(self.annotation).replace("typing.", ""))
        text = self.name + (f": {written}" if self.annotation is not None else "")
        return text + (f" = {self.default!r}" if self.default is not _EMPTY else "")


def from_signature(fn: Any) -> dict[str, Parameter]:
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # unresolvable forward references: no type checks for this pipeline
        hints = {}
    return {name: Parameter(name, _checkable(hints.get(name)), p.default)
            for name, p in inspect.signature(fn).parameters.items()}


def from_defaults(defaults: dict[str, Any]) -> dict[str, Parameter]:
    """YAML pipelines: a parameter is typed by its default (null: untyped)."""
    return {name: Parameter(name, _checkable(type(value)) if value is not None else None, value)
            for name, value in defaults.items()}


def parse_text(declared: dict[str, Parameter], texts: dict[str, str]) -> dict[str, Any]:
    """`-p name=text` values as the declared types (undeclared names are parsed as YAML and left
    for the pipeline to refuse)."""
    values: dict[str, Any] = {}
    for name, text in texts.items():
        parameter = declared.get(name)
        if parameter is None or parameter.annotation is None:
            values[name] = _yaml(text)
            continue
        for candidate in _readings(text):
            ok, value = _validate(parameter.annotation, candidate)
            if ok:
                values[name] = value
                break
        else:
            raise _refused(parameter, text)
    return values


def check(declared: dict[str, Parameter], values: dict[str, Any]) -> dict[str, Any]:
    """Values from a Python caller, coerced to the declared types (int 3 for a float is 3.0)."""
    from mloop.pipeline.definition.data import Data

    checked: dict[str, Any] = {}
    for name, value in values.items():
        parameter = declared.get(name)
        checked[name] = value
        if parameter is None or parameter.annotation is None or isinstance(value, Data) or not _is_json(value):
            continue  # a value that is not JSON is refused, saying so, when the pipeline records it
        ok, coerced = _validate(parameter.annotation, value)
        if not ok:
            raise _refused(parameter, value)
        if _is_json(coerced):  # else e.g. a Path: the value passed validation, keep it as given
            checked[name] = coerced
    return checked


def _is_json(value: Any) -> bool:
    from mloop.core.hashing import canonical_json

    try:
        canonical_json(value)
    except (TypeError, ValueError):
        return False
    return True


def type_name(annotation: Any) -> str:
    if typing.get_origin(annotation) is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(annotation))
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _refused(parameter: Parameter, value: Any) -> ValidationError:
    wanted = type_name(parameter.annotation)
    article = "" if wanted.startswith("one of") else ("an " if wanted[0] in "aeiou" else "a ")
    return ValidationError(f"parameter {parameter.name}: {value!r} is not {article}{wanted} "
                           f"(pipeline parameter {parameter.describe()})")


def _checkable(annotation: Any) -> Any:
    if annotation is None or annotation is typing.Any or annotation is inspect.Parameter.empty:
        return None
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation if annotation in _CHECKED_CLASSES else None
    return annotation


def _validate(annotation: Any, value: Any) -> tuple[bool, Any]:
    from pydantic import PydanticSchemaGenerationError, TypeAdapter
    from pydantic import ValidationError as PydanticError

    try:
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    except (PydanticSchemaGenerationError, TypeError):
        return True, value  # a type pydantic cannot check: accept as given
    try:
        return True, adapter.validate_python(value)
    except PydanticError:
        return False, None


def _readings(text: str) -> list[Any]:
    """What `text` may mean, most literal first: the text itself, its YAML value, a number
    ('1e2' is 100.0, which an int parameter takes as 100)."""
    readings: list[Any] = [text]
    parsed = _yaml(text)
    if parsed != text:
        readings.append(parsed)
    with contextlib.suppress(ValueError):
        readings.append(float(text))
    return readings


def _yaml(text: str) -> Any:
    import yaml

    if not text.strip():
        return ""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text
