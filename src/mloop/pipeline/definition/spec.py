"""What a step declares about itself, validated once when it is defined."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from mloop.core.errors import ValidationError

_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?)?B?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
          "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}
RESOURCE_KEYS = ("cpu", "memory", "gpu")
ISOLATION_MODES = ("none", "venv")


def parse_memory(value: int | float | str) -> int:
    """'2Gi' -> 2147483648, '512M' -> 512000000, 1e9 -> 1000000000 (bytes)."""
    if isinstance(value, (int, float)):
        return int(value)
    match = _MEMORY.match(value)
    if not match:
        raise ValidationError(f"memory {value!r} is not a size; write e.g. '512Mi', '2Gi' or a number of bytes")
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "").lower()])


def parse_resources(resources: dict[str, Any] | None, where: str) -> dict[str, float]:
    parsed: dict[str, float] = {}
    for key, value in (resources or {}).items():
        if key not in RESOURCE_KEYS:
            raise ValidationError(f"{where}: unknown resource {key!r}; use {', '.join(RESOURCE_KEYS)}")
        try:
            number = float(parse_memory(value) if key == "memory" else value)
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

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outputs"] = list(self.outputs)
        data["requirements"] = list(self.requirements)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepSpec:
        values = dict(data)
        values["outputs"] = tuple(values.get("outputs", ("output",)))
        values["requirements"] = tuple(values.get("requirements", ()))
        return cls(**values)


def make_spec(
    name: str,
    *,
    description: str = "",
    outputs: str | list[str] | tuple[str, ...] | None = None,
    resources: dict[str, Any] | None = None,
    requirements: list[str] | tuple[str, ...] | None = None,
    retries: int = 0,
    retry_delay: float = 1.0,
    retry_backoff: float = 2.0,
    timeout: float | None = None,
    cache: bool = True,
    materializer: str | dict[str, str] | None = None,
    isolation: str | None = None,
) -> StepSpec:
    if outputs is not None and not isinstance(outputs, str) and len(outputs) == 0:
        raise ValidationError(f"step {name!r}: outputs=[] declares no output; every step has at least one "
                              "(omit outputs for a single one named 'output')")
    names = (outputs,) if isinstance(outputs, str) else tuple(outputs or ("output",))
    materializers = ({n: materializer for n in names} if isinstance(materializer, str) else dict(materializer or {}))
    return StepSpec(
        name=name, description=description, outputs=names,
        resources=parse_resources(resources, f"step {name!r}"),
        requirements=tuple(requirements or ()), retries=int(retries), retry_delay=float(retry_delay),
        retry_backoff=float(retry_backoff), timeout=None if timeout is None else float(timeout),
        cache=bool(cache), materializers=materializers, isolation=isolation or "",
    )
