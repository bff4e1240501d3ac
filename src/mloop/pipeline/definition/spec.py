"""What a step declares about itself, validated once when it is defined.

`StepOptions` is the one list of what a user may set on a step; `@step(...)`,
`Step.with_options(...)` and a YAML step's keys all go through `make_spec`, which validates
them and builds the `StepSpec` (the normalised form recorded with every run)."""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from mloop.core.errors import ValidationError

_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?)?B?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
          "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}
RESOURCE_KEYS = ("cpu", "memory", "gpu")
ISOLATION_MODES = ("none", "venv")


@dataclass(frozen=True)
class StepOptions:
    """The options of a step, as a user writes them (the one list; see the module docstring)."""

    description: str = ""
    #: one name, or several (the function then returns a tuple); default: one named "output"
    outputs: str | list[str] | None = None
    #: cpu, memory ("2Gi", "512M" or bytes), gpu
    resources: dict[str, Any] | None = None
    requirements: list[str] | None = None
    retries: int = 0
    retry_delay: float = 1.0
    retry_backoff: float = 2.0
    timeout: float | None = None
    cache: bool = True
    #: one materializer for every output, or one per output name
    materializer: str | dict[str, str] | None = None
    isolation: str | None = None
    #: the step changes the world outside its outputs (e.g. the model registry): a reproduce does
    #: not compare its outputs, and mloop's own such steps write nothing during one
    side_effects: bool = False


STEP_OPTIONS: tuple[str, ...] = tuple(f.name for f in fields(StepOptions))


def parse_memory(value: int | float | str) -> int:
    """'2Gi' -> 2147483648, '512M' -> 512000000, 1e9 -> 1000000000 (bytes)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    match = _MEMORY.match(value) if isinstance(value, str) else None
    if not match:
        raise ValidationError(f"memory {value!r} is not a size; write e.g. '512Mi', '2Gi' or a number of bytes")
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "").lower()])


def parse_resources(resources: dict[str, Any] | None, where: str) -> dict[str, float]:
    if resources is not None and not isinstance(resources, dict):
        raise ValidationError(f"{where}: resources must be a mapping such as {{'cpu': 1, 'memory': '2Gi'}}, "
                              f"got {resources!r}")
    parsed: dict[str, float] = {}
    for key, value in (resources or {}).items():
        if key not in RESOURCE_KEYS:
            raise ValidationError(f"{where}: unknown resource {key!r}; use {', '.join(RESOURCE_KEYS)}")
        try:
            if isinstance(value, bool):
                raise TypeError(value)
            number = float(parse_memory(value) if key == "memory" else value)
        except ValidationError as exc:
            raise ValidationError(f"{where}: resource {exc}") from None
        except (TypeError, ValueError):
            raise ValidationError(f"{where}: resource {key}={value!r} is not a number") from None
        if number < 0:
            raise ValidationError(f"{where}: resource {key} cannot be negative")
        parsed[key] = number
    return parsed


@dataclass(frozen=True)
class StepSpec:
    name: str
    description: str = ""
    outputs: tuple[str, ...] = ("output",)
    resources: dict[str, float] = field(default_factory=dict)
    requirements: tuple[str, ...] = ()
    retries: int = 0
    retry_delay: float = 1.0
    retry_backoff: float = 2.0
    timeout: float | None = None
    cache: bool = True
    materializers: dict[str, str] = field(default_factory=dict)
    #: "none": run in the worker's environment; "venv": in a uv environment built from `requirements`;
    #: "" (not given): the pipeline's choice, settled when the pipeline compiles
    isolation: str = ""
    side_effects: bool = False

    def __post_init__(self) -> None:
        where = f"step {self.name!r}"
        if not self.name or not re.fullmatch(r"[A-Za-z_][\w.-]*", self.name):
            raise ValidationError(f"{where}: a step name must start with a letter and use letters, digits, _ . -")
        if not self.outputs or len(set(self.outputs)) != len(self.outputs):
            raise ValidationError(f"{where}: outputs must be distinct names, got {list(self.outputs)}")
        if self.retries < 0 or self.retry_delay < 0 or self.retry_backoff < 1:
            raise ValidationError(f"{where}: retries and retry_delay must be ≥ 0 and retry_backoff ≥ 1")
        if self.timeout is not None and self.timeout <= 0:
            raise ValidationError(f"{where}: timeout must be a positive number of seconds")
        if self.isolation and self.isolation not in ISOLATION_MODES:
            raise ValidationError(f"{where}: isolation must be one of {', '.join(ISOLATION_MODES)}, got {self.isolation!r}")
        unknown = set(self.materializers) - set(self.outputs)
        if unknown:
            raise ValidationError(f"{where}: materializer given for unknown output {sorted(unknown)[0]!r}")

    def options(self) -> dict[str, Any]:
        """This spec as StepOptions values: `make_spec(spec.name, **spec.options())` rebuilds it."""
        return {
            "description": self.description, "outputs": list(self.outputs), "resources": dict(self.resources),
            "requirements": list(self.requirements), "retries": self.retries, "retry_delay": self.retry_delay,
            "retry_backoff": self.retry_backoff, "timeout": self.timeout, "cache": self.cache,
            "materializer": dict(self.materializers), "isolation": self.isolation or None,
            "side_effects": self.side_effects,
        }

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outputs"] = list(self.outputs)
        data["requirements"] = list(self.requirements)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepSpec:
        """A spec recorded with a run (trusted: it was validated when it was made)."""
        values = dict(data)
        values["outputs"] = tuple(values.get("outputs", ("output",)))
        values["requirements"] = tuple(values.get("requirements", ()))
        return cls(**values)


def make_spec(name: str, **options: Any) -> StepSpec:
    """The one validated way to a StepSpec: `options` are StepOptions fields; anything else, or a
    value of the wrong kind, is a one-line ValidationError naming the step and the option."""
    where = f"step {name!r}"
    for option in options:
        if option not in STEP_OPTIONS:
            close = difflib.get_close_matches(option, STEP_OPTIONS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValidationError(f"{where}: unknown option {option!r}; {hint}(options: {', '.join(STEP_OPTIONS)})")
    given = StepOptions(**options)
    outputs = _names(where, "outputs", given.outputs, allow_one=True)
    if outputs == ():
        raise ValidationError(f"{where}: outputs=[] declares no output; every step has at least one "
                              "(omit outputs for a single one named 'output')")
    names = outputs or ("output",)
    materializer = given.materializer
    if materializer is not None and not isinstance(materializer, (str, dict)):
        raise ValidationError(f"{where}: option materializer={materializer!r} must be a name or "
                              "a mapping of output name to materializer")
    materializers = {n: materializer for n in names} if isinstance(materializer, str) else dict(materializer or {})
    return StepSpec(
        name=name, description=_text(where, "description", given.description) or "", outputs=names,
        resources=parse_resources(given.resources, where),
        requirements=_names(where, "requirements", given.requirements) or (),
        retries=_count(where, "retries", given.retries),
        retry_delay=_number(where, "retry_delay", given.retry_delay),
        retry_backoff=_number(where, "retry_backoff", given.retry_backoff),
        timeout=None if given.timeout is None else _number(where, "timeout", given.timeout),
        cache=_flag(where, "cache", given.cache), materializers=materializers,
        isolation=_text(where, "isolation", given.isolation) or "",
        side_effects=_flag(where, "side_effects", given.side_effects),
    )


def _flag(where: str, option: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{where}: option {option}={value!r} must be True or False")
    return value


def _count(where: str, option: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{where}: option {option}={value!r} must be a whole number")
    return value


def _number(where: str, option: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(f"{where}: option {option}={value!r} must be a number")
    return float(value)


def _text(where: str, option: str, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{where}: option {option}={value!r} must be a string")
    return value


def _names(where: str, option: str, value: Any, allow_one: bool = False) -> tuple[str, ...] | None:
    if value is None:
        return None
    if allow_one and isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ValidationError(f"{where}: option {option}={value!r} must be a list of strings")
