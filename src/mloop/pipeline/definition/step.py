"""`@step`: a plain function plus its spec. Called inside a `@pipeline` it adds a node to the
graph and returns output handles; called anywhere else it is the plain function."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar, overload

from mloop.core.imports import reference, resolve
from mloop.pipeline.caching.codehash import code_hash
from mloop.pipeline.definition.spec import StepSpec, make_spec

P = ParamSpec("P")
R = TypeVar("R")


class Step(Generic[P, R]):
    def __init__(self, fn: Callable[P, R], spec: StepSpec) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.spec = spec
        self.signature = inspect.signature(fn)
        self.uses, self.source_file = reference(fn)
        self._source_hash: str | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def source_hash(self) -> str:
        """Hash of the function's source and of the project code it calls (see codehash): a change
        to either invalidates the step's cache."""
        if self._source_hash is None:
            self._source_hash = code_hash(self.fn)
        return self._source_hash

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        from mloop.pipeline.definition.builder import current_builder

        builder = current_builder()
        if builder is None:
            return self.fn(*args, **kwargs)
        return builder.add(self, args, kwargs)

    def with_options(self, **changes: Any) -> Step[P, R]:
        """A copy of this step with some options changed, e.g. `train.with_options(retries=3)`;
        validated as `@step(...)` is (`name` renames the copy)."""
        name = changes.pop("name", None) or self.name
        clone = Step(self.fn, make_spec(name, **(self.spec.options() | changes)))
        clone.uses, clone.source_file, clone._source_hash = self.uses, self.source_file, self._source_hash
        return clone

    def __reduce__(self) -> tuple[Any, ...]:
        return (resolve, (self.uses, self.source_file))

    def __repr__(self) -> str:
        return f"<step {self.name} ({self.uses})>"


@overload
def step(fn: Callable[P, R], /) -> Step[P, R]: ...
@overload
def step(
    *,
    name: str | None = None,
    description: str | None = None,
    outputs: str | list[str] | tuple[str, ...] | None = None,
    resources: dict[str, Any] | None = None,
    requirements: list[str] | None = None,
    retries: int = 0,
    retry_delay: float = 1.0,
    retry_backoff: float = 2.0,
    timeout: float | None = None,
    cache: bool = True,
    materializer: str | dict[str, str] | None = None,
    isolation: str | None = None,
    side_effects: bool = False,
) -> Callable[[Callable[P, R]], Step[P, R]]: ...


def step(fn: Callable[..., Any] | None = None, /, **options: Any) -> Any:
    """Make a function a pipeline step.

    Inputs are the function's parameters; `outputs` names several outputs (the function then
    returns a tuple); `retries` with exponential backoff from `retry_delay`; `timeout` in seconds;
    `cache=False` always executes; `materializer` picks how outputs are stored (e.g. "pickle");
    `isolation="venv"` runs it in a cached uv environment built from `requirements`;
    `side_effects=True` marks a step that changes the world beyond its outputs (a reproduce does
    not compare them). The options are `StepOptions`; a wrong one is a ValidationError.
    """

    def decorate(function: Callable[..., Any]) -> Step[Any, Any]:
        name = options.pop("name", None) or function.__name__
        description = options.pop("description", None) or _summary(inspect.getdoc(function))
        return Step(function, make_spec(name, description=description, **options))

    return decorate(fn) if fn is not None else decorate


def _summary(doc: str | None) -> str:
    return doc.strip().split("\n\n")[0].replace("\n", " ") if doc else ""
