"""A validation suite: a named list of checks, kept in a YAML file a person reads and edits.

The file groups checks per column; checks about the table, or about several columns, or a second
check of one kind on a column, go in the `checks` list (each item `{kind: {parameters}}`):

    name: transactions
    columns:
      id:
        type: categorical
        not_null: true
        unique: true
      amount:
        type: numeric
        not_null: {max_fraction: 0.01}          # up to 1% nulls
        range: {min: 0, max: 5000}
      country:
        type: categorical
        allowed_values: [DE, FR, 'NO']          # quote NO, yes, on, off: YAML reads them as booleans
        distribution: {expected: {DE: 0.5, FR: 0.3, 'NO': 0.2}, max_distance: 0.1, severity: warn}
      email:
        regex: '[^@]+@[^@]+'
      event_time:
        type: datetime
        freshness: 24h                          # or {max_age: 7d, relative_to: '2024-05-01T00:00:00Z'}
      customer_id:
        referential: {reference: customers.parquet, reference_column: id}
    checks:
      - row_count: {min: 1000, max: 100000}
      - unique: {columns: [customer_id, day]}
      - range: {column: amount, max: 1000, severity: warn}
      - custom: {function: 'myproject.checks:balances_add_up', columns: [amount]}

A value is the check's parameters, or a shorthand: `true` (not_null, unique), a kind (type), a list
(allowed_values), a pattern (regex), a duration (freshness) or a 'module:function' (custom).
Every check takes `severity: warn` (reported, never failing validation; the default is error) and
a `name`. A relative reference path is read from the suite file's folder.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mloop.core.errors import ValidationError, invalid_yaml
from mloop.quality.checks import CHECKS, CheckBase, parse_check, unknown_kind

_SECTIONS = ("name", "description", "columns", "checks")
_TABLE_ONLY = ("row_count", "custom")
#: shorthand values: a check kind -> (the type written, the parameter it stands for)
_SHORTHAND: dict[str, tuple[type | tuple[type, ...], str | None]] = {
    "type": (str, "kind"), "allowed_values": (list, "values"), "regex": (str, "pattern"),
    "freshness": (str, "max_age"), "custom": (str, "function"), "not_null": (bool, None), "unique": (bool, None),
}


@dataclass
class Suite:
    """A named list of checks; `validate(data, suite)` runs them in one scan of the data. A suite read
    from its dict or file form has its checks in file order: per column, then the checks list."""

    name: str
    checks: list[CheckBase] = field(default_factory=list)
    description: str = ""
    #: the file it was loaded from (relative reference paths are read from its folder)
    source: Path | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.checks = [parse_check(c, f"check {i + 1}") for i, c in enumerate(self.checks)]

    def __iter__(self) -> Iterator[CheckBase]:
        return iter(self.checks)

    def __len__(self) -> int:
        return len(self.checks)

    def depends_on_now(self) -> bool:
        """Whether a check compares with the time of validation (freshness without `relative_to`):
        then the same data can pass today and fail tomorrow, and a pipeline step never reuses an answer."""
        return any(getattr(c, "check", "") == "freshness" and getattr(c, "relative_to", None) is None
                   for c in self.checks)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Suite:
        """Read a suite YAML file; any problem is one line naming the file, the check and the fix."""
        source = Path(path)
        try:
            data = yaml.safe_load(source.read_text())
        except FileNotFoundError:
            raise ValidationError(f"no such suite file: {source}; write one with: "
                                  f"mloop data suite infer DATA > {source}") from None
        except yaml.YAMLError as exc:
            raise ValidationError(invalid_yaml(source, exc)) from None
        suite = cls.from_dict(data, where=str(source))
        suite.source = source
        return suite

    @classmethod
    def from_dict(cls, data: Any, *, where: str = "suite") -> Suite:
        """A suite from its dict form (what `to_dict` gives, or a parsed YAML file)."""
        if not isinstance(data, dict):
            raise ValidationError(f"{where}: a suite is a mapping with name, columns and checks")
        for key in data:
            if key not in _SECTIONS:
                close = difflib.get_close_matches(str(key), _SECTIONS, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise ValidationError(f"{where}: unknown section {key!r}; {hint}a suite has: {', '.join(_SECTIONS)}")
        columns = data.get("columns") or {}
        items = data.get("checks") or []
        if not isinstance(columns, dict):
            raise ValidationError(f"{where}: columns is a mapping of column name to its checks")
        if not isinstance(items, list):
            raise ValidationError(f"{where}: checks is a list, each item like '- row_count: {{min: 1}}'")
        checks = [check for column, spec in columns.items() for check in _column_checks(where, str(column), spec)]
        checks += [_item(where, index + 1, item) for index, item in enumerate(items)]
        return cls(name=str(data.get("name") or Path(where).stem), checks=checks,
                   description=str(data.get("description") or ""))

    def to_dict(self) -> dict[str, Any]:
        """The grouped form of the file: {"name", "description"?, "columns": {...}, "checks": [...]}."""
        columns: dict[str, dict[str, Any]] = {}
        items: list[dict[str, Any]] = []
        for check in self.checks:
            flat = check.to_dict()
            kind = flat.pop("check")
            column = flat.get("column")
            grouped = columns.setdefault(column, {}) if isinstance(column, str) and kind not in _TABLE_ONLY else None
            if grouped is not None and kind not in grouped:
                flat.pop("column")
                grouped[kind] = _shorten(kind, flat)
            else:
                items.append({kind: _shorten(kind, flat) if kind in _TABLE_ONLY else flat})
        head: dict[str, Any] = {"name": self.name}
        if self.description:
            head["description"] = self.description
        return {**head, "columns": columns, "checks": items}

    def to_yaml(self) -> str:
        """The suite file: sections and columns in block style, each check's parameters on one line."""
        data = self.to_dict()
        data["columns"] = {column: {kind: _flow(value) for kind, value in spec.items()}
                           for column, spec in data["columns"].items()}
        data["checks"] = [{kind: _flow(value) for kind, value in item.items()} for item in data["checks"]]
        text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                         width=110)
        return ("# A validation suite of mloop (docs: python -c 'import mloop.quality.suite as s; help(s)').\n"
                "# Edit freely; every check takes severity: warn to report without failing.\n" + text)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the suite as YAML, atomically (a crash leaves the old file or the new one)."""
        target = Path(path)
        text = self.to_yaml()
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
        try:
            with os.fdopen(handle, "w") as file:
                file.write(text)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target


class _FlowDict(dict[str, Any]):
    pass


class _FlowList(list[Any]):
    pass


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_FlowDict, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def _flow(value: Any) -> Any:
    if isinstance(value, dict):
        return _FlowDict({key: _flow(item) for key, item in value.items()})
    if isinstance(value, list):
        return _FlowList(_flow(item) for item in value)
    return value


def as_suite(suite: Suite | str | os.PathLike[str] | list[Any]) -> Suite:
    """A Suite from itself, the path of a YAML file, or a list of checks (models or dicts)."""
    if isinstance(suite, Suite):
        return suite
    if isinstance(suite, (str, os.PathLike)):
        return Suite.load(suite)
    if isinstance(suite, (list, tuple)):
        return Suite(name="checks", checks=list(suite))
    raise ValidationError(f"cannot use a {type(suite).__name__} as a suite; give a Suite, the path of a suite "
                          "YAML file, or a list of checks")


def _column_checks(where: str, column: str, spec: Any) -> list[CheckBase]:
    if spec is None:
        return []
    if not isinstance(spec, dict):
        raise ValidationError(f"{where}: columns.{column} is a mapping of check kind to its parameters, "
                              "e.g. {not_null: true, range: {min: 0}}")
    checks = []
    for kind, value in spec.items():
        place = f"{where}: columns.{column}.{kind}"
        if kind not in CHECKS:
            raise ValidationError(f"{where}: columns.{column}: {unknown_kind(kind)}")
        if kind in _TABLE_ONLY:
            raise ValidationError(f"{place}: {kind} is about the whole table; move it to the checks list")
        parameters = _expand(place, kind, value)
        if parameters is None:
            continue
        if parameters.setdefault("column", column) != column:
            raise ValidationError(f"{place}: names column {parameters['column']!r} under column {column!r}; "
                                  "drop its column key, or move it to the checks list")
        if kind == "unique" and "columns" in parameters:
            raise ValidationError(f"{place}: a unique over several columns goes in the checks list")
        checks.append(parse_check({"check": kind, **parameters}, place, label=False))
    return checks


def _item(where: str, number: int, item: Any) -> CheckBase:
    place = f"{where}: check {number}"
    if isinstance(item, dict) and "check" in item:
        return parse_check(item, place)
    if not isinstance(item, dict) or len(item) != 1:
        raise ValidationError(f"{place}: an item of checks is one kind and its parameters, "
                              "like '- range: {column: amount, min: 0}'")
    kind, value = next(iter(item.items()))
    if kind not in CHECKS:
        raise ValidationError(f"{place}: {unknown_kind(kind)}")
    parameters = _expand(place, kind, value)
    if parameters is None:
        raise ValidationError(f"{place}: {kind}: false asks for no check; remove the item")
    return parse_check({"check": kind, **parameters}, place)


def _expand(place: str, kind: str, value: Any) -> dict[str, Any] | None:
    """The parameters a YAML value stands for (None: no check, e.g. `not_null: false`)."""
    if isinstance(value, dict):
        if "check" in value:
            raise ValidationError(f"{place}: the kind is already {kind!r}; remove its check key")
        return dict(value)
    if kind in _SHORTHAND:
        written, parameter = _SHORTHAND[kind]
        if isinstance(value, written):
            if parameter is None:
                return {} if value else None
            return {parameter: value}
    forms = {"type": "a kind (numeric, categorical, datetime, other)", "allowed_values": "a list of values",
             "regex": "a pattern", "freshness": "a duration like 24h", "custom": "'module:function'",
             "not_null": "true", "unique": "true"}
    shorthand = f"{forms[kind]} or " if kind in forms else ""
    raise ValidationError(f"{place}: give {shorthand}a mapping of its parameters, not {value!r}")


def _shorten(kind: str, parameters: dict[str, Any]) -> Any:
    """The shorthand of a check's parameters when it says all of them, else the parameters."""
    if kind not in _SHORTHAND:
        return parameters
    _, parameter = _SHORTHAND[kind]
    if parameter is None:
        return parameters or True
    if set(parameters) == {parameter}:
        return parameters[parameter]
    return parameters
