"""Building the graph IR by calling steps inside a pipeline function."""

from __future__ import annotations

import abc
import contextvars
import inspect
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mloop.core.errors import GraphError
from mloop.core.hashing import canonical_json
from mloop.pipeline.definition.data import Data
from mloop.pipeline.definition.graph import Node

if TYPE_CHECKING:
    from mloop.pipeline.definition.step import Step

_BUILDER: contextvars.ContextVar[GraphBuilder | None] = contextvars.ContextVar("mloop_builder", default=None)


@dataclass(frozen=True)
class OutputHandle:
    """A promise of a step's output inside a pipeline definition; pass it to other steps."""

    node: str
    output: str
    annotation: Any = None

    def __bool__(self) -> bool:
        raise GraphError(
            f"the output of step {self.node!r} is not known while the pipeline is being defined; "
            "branch inside a step, not on a step's output in the pipeline function"
        )

    def __iter__(self) -> Iterator[Any]:
        raise GraphError(f"step {self.node!r} has one output; name several with @step(outputs=[...]) to unpack")

    def ref(self) -> dict[str, str]:
        return {"node": self.node, "output": self.output}


def current_builder() -> GraphBuilder | None:
    return _BUILDER.get()


class GraphBuilder:
    def __init__(self, root: Any = None) -> None:
        self.nodes: dict[str, Node] = {}
        self._steps: dict[str, Step[Any, Any]] = {}
        self.root = root

    @contextmanager
    def active(self) -> Iterator[GraphBuilder]:
        token = _BUILDER.set(self)
        try:
            yield self
        finally:
            _BUILDER.reset(token)

    def step_for(self, node: str) -> Step[Any, Any]:
        return self._steps[node]

    def add(self, step: Step[Any, Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        after = kwargs.pop("after", None)
        name = self._unique_name(step.name)
        where = f"step {name!r}"
        try:
            bound = step.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise GraphError(f"{where}: {exc} (called as {step.uses})") from None
        bound.apply_defaults()
        inputs: dict[str, dict[str, Any]] = {}
        params: dict[str, Any] = {}
        hints = _type_hints(step.fn)
        for arg, value in bound.arguments.items():
            kind = step.signature.parameters[arg].kind
            if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                raise GraphError(f"{where}: *args/**kwargs parameters are not supported in steps ({arg!r})")
            ref = self._input_ref(where, arg, value, hints.get(arg))
            if ref is None:
                params[arg] = _json_param(where, arg, value)
            else:
                inputs[arg] = ref
        node = Node(
            name=name, uses=step.uses, source_hash=step.source_hash, spec=step.spec,
            inputs=inputs, params=params, after=self._after(where, after), source_file=step.source_file,
        )
        self.nodes[name] = node
        self._steps[name] = step
        outputs = step.spec.outputs
        annotations = _output_annotations(hints.get("return"), len(outputs))
        handles = tuple(OutputHandle(name, out, ann) for out, ann in zip(outputs, annotations, strict=True))
        return handles[0] if len(handles) == 1 else handles

    def _unique_name(self, base: str) -> str:
        if base not in self.nodes:
            return base
        index = 2
        while f"{base}_{index}" in self.nodes:
            index += 1
        return f"{base}_{index}"

    def _input_ref(self, where: str, arg: str, value: Any, wanted: Any) -> dict[str, Any] | None:
        if isinstance(value, OutputHandle):
            _check_type(where, arg, value, wanted)
            return value.ref()
        if isinstance(value, Data):
            return {"data": str(value.resolved())}
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, OutputHandle) for v in value):
            if isinstance(value, tuple) and len({v.node for v in value}) == 1 and len(value) > 1:
                raise GraphError(f"{where}: input {arg!r} got all outputs of step {value[0].node!r}; unpack them: "
                                 f"a, b = {value[0].node}(...)")
            return {"list": [v.ref() for v in value]}
        if isinstance(value, (list, tuple, dict)) and _contains_handle(value):
            raise GraphError(f"{where}: input {arg!r} mixes step outputs with other values; pass a list of outputs only")
        return None

    def _after(self, where: str, after: Any) -> list[str]:
        if after is None:
            return []
        items = after if isinstance(after, (list, tuple)) else [after]
        names: list[str] = []
        for item in items:
            if isinstance(item, OutputHandle):
                names.append(item.node)
            elif isinstance(item, tuple) and item and isinstance(item[0], OutputHandle):
                names.append(item[0].node)
            elif isinstance(item, str) and item in self.nodes:
                names.append(item)
            else:
                raise GraphError(f"{where}: after= takes outputs of earlier steps or their names, got {item!r}")
        return names


def _contains_handle(value: Any) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return any(isinstance(v, OutputHandle) or (isinstance(v, (list, tuple, dict)) and _contains_handle(v)) for v in items)


def _json_param(where: str, arg: str, value: Any) -> Any:
    try:
        canonical_json(value)
    except (TypeError, ValueError):
        raise GraphError(
            f"{where}: parameter {arg!r} is a {type(value).__name__}, which is not JSON; "
            "pass data as the output of a step or as mloop.Data(path)"
        ) from None
    return value


def _type_hints(fn: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn)
    except Exception:  # unresolvable forward references: no static checks for this step
        return {}


def _output_annotations(annotation: Any, count: int) -> list[Any]:
    if count == 1:
        return [annotation]
    if typing.get_origin(annotation) is tuple:
        args = typing.get_args(annotation)
        if len(args) == count:
            return list(args)
    return [None] * count


_NUMERIC_PROMOTIONS = {(int, float), (int, complex), (float, complex)}


def _check_type(where: str, arg: str, handle: OutputHandle, wanted: Any) -> None:
    produced = handle.annotation
    if not (isinstance(produced, type) and isinstance(wanted, type)) or typing.Any in (produced, wanted):
        return  # only plain classes can be compared statically (typing.Any is a class from 3.11)
    if produced is object or wanted is object or issubclass(produced, wanted) or issubclass(wanted, produced):
        return
    if (produced, wanted) in _NUMERIC_PROMOTIONS:
        return  # PEP 484: an int is acceptable where a float (or complex) is expected
    if any(inspect.isabstract(c) or isinstance(c, abc.ABCMeta) or c.__name__.endswith("Mixin") for c in (produced, wanted)):
        return  # interfaces and mixins: a concrete value may well satisfy both
    raise GraphError(
        f"{where}: input {arg!r} expects {wanted.__qualname__} but step {handle.node!r} "
        f"output {handle.output!r} returns {produced.__qualname__}"
    )
