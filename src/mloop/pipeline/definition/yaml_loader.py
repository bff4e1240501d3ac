"""Pipelines written in YAML compile, through the same builder as `@pipeline`, to the same IR.

    name: fraud-training
    parameters: {path: data/tx.parquet, n_estimators: 100}
    steps:
      - name: ingest
        uses: fraud.steps:ingest          # a @step or a plain function, module:attribute
        inputs: {raw: {type: data, path: ${params.path}}}
      - name: split
        uses: fraud.steps:split
        inputs: {df: ingest.output}       # <step>.<output> is an edge; anything else a value
        outputs: [train, test]
      - name: train
        uses: fraud.steps:train
        inputs: {train: split.train}
        parameters: {n_estimators: ${params.n_estimators}}
        retries: 2
"""

from __future__ import annotations

import difflib
import re
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic import ValidationError as PydanticError

from mloop.core.errors import (
    ConfigError,
    GraphError,
    MloopError,
    NotFoundError,
    ValidationError,
    invalid_yaml,
)
from mloop.core.imports import resolve, user_code_error
from mloop.pipeline.definition.builder import GraphBuilder, OutputHandle
from mloop.pipeline.definition.data import Data
from mloop.pipeline.definition.graph import CycleError, Graph, topological_order
from mloop.pipeline.definition.parameters import Parameter, check, from_defaults
from mloop.pipeline.definition.pipelines import PipelineDefinition, _json_params
from mloop.pipeline.definition.spec import STEP_OPTIONS, StepOptions, make_spec
from mloop.pipeline.definition.step import Step

_PARAM = re.compile(r"\$\{params\.([A-Za-z_]\w*)\}")
_REF = re.compile(r"^([A-Za-z_][\w-]*)\.([A-Za-z_]\w*)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataInput(_Strict):
    type: Literal["data"]
    path: str


class StepKeys(_Strict):
    """A YAML step's own keys; its options (retries, resources, ...) are added from StepOptions."""

    name: str
    uses: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(default_factory=dict)
    compute: dict[str, Any] | None = None  # alias of resources, as in task descriptions
    depends_on: list[str] = Field(default_factory=list)


def _option_fields() -> dict[str, Any]:
    hints = typing.get_type_hints(StepOptions)
    return {name: (hints[name] | None, None) for name in STEP_OPTIONS}


if TYPE_CHECKING:
    StepDoc = StepKeys
else:  # every StepOptions field is a key, None when the YAML does not set it (the @step's value holds)
    StepDoc = create_model("StepDoc", __base__=StepKeys, **_option_fields())


class PipelineDoc(_Strict):
    name: str
    description: str = ""
    isolation: Literal["none", "venv"] | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    steps: list[StepDoc]


class YamlPipeline(PipelineDefinition):
    def __init__(self, doc: PipelineDoc, source: Path) -> None:
        self.doc = doc
        self.source = source
        self.name = doc.name
        self.description = doc.description

    def defaults(self) -> dict[str, Any]:
        return dict(self.doc.parameters)

    def parameters(self) -> dict[str, Parameter]:
        return from_defaults(self.doc.parameters)

    def compile(self, **params: Any) -> tuple[Graph, dict[str, Any], dict[str, Any]]:
        unknown = set(params) - set(self.doc.parameters)
        if unknown:
            raise GraphError(f"{self.source}: unknown parameter {sorted(unknown)[0]!r}; "
                             f"declared: {', '.join(self.doc.parameters) or 'none'}")
        values = {**self.doc.parameters, **check(self.parameters(), params)}
        steps = {s.name: s for s in self.doc.steps}
        if len(steps) != len(self.doc.steps):
            raise GraphError(f"{self.source}: {_duplicate(self.doc.steps)}; step names must be unique")
        builder = GraphBuilder()
        handles: dict[str, Any] = {}
        with builder.active():
            for doc in _order(self.source, steps):
                handles[doc.name] = self._add(builder, doc, steps, values, handles)
        graph = Graph(self.name, builder.nodes, self.description, _json_params(self.name, values)).validate()
        graph.settle_isolation(self.doc.isolation)
        return graph, graph.params, {name: builder.step_for(name) for name in graph.nodes}

    def _add(self, builder: GraphBuilder, doc: StepKeys, steps: dict[str, StepKeys], values: dict[str, Any],
             handles: dict[str, Any]) -> Any:
        where = f"{self.source}: step {doc.name!r}"
        step = self._load_step(doc, where)
        kwargs: dict[str, Any] = {}
        for name, raw in {**doc.inputs, **doc.parameters}.items():
            kwargs[name] = self._value(where, name, _substitute(where, raw, values), steps, handles)
        after = [handles[d] for d in doc.depends_on]
        return builder.add(step, (), {**kwargs, "after": after} if after else kwargs)

    def _load_step(self, doc: StepKeys, where: str) -> Step[Any, Any]:
        try:
            target = resolve(doc.uses, None)
        except NotFoundError as exc:
            uses = "uses " if str(exc).startswith(repr(doc.uses)) else ""
            raise NotFoundError(f"{where}: {uses}{exc}") from None
        except MloopError:
            raise
        except Exception as exc:  # the module named in `uses` failed to import
            raise ConfigError(f"{where}: uses {doc.uses!r}: {user_code_error(exc, '')}") from exc
        base = target if isinstance(target, Step) else None
        if base is None and not callable(target):
            raise GraphError(f"{where}: {doc.uses!r} is not a function or @step")
        options: dict[str, Any] = base.spec.options() if base else {}
        if doc.compute is not None and getattr(doc, "resources", None) is None:
            options["resources"] = doc.compute
        options.update({name: getattr(doc, name) for name in STEP_OPTIONS if getattr(doc, name) is not None})
        try:
            step_spec = make_spec(doc.name, **options)
        except ValidationError as exc:  # it names the step already
            raise GraphError(f"{self.source}: {exc}") from None
        function = base.fn if base else target
        step = Step(function, step_spec)
        if base:
            step.uses, step.source_file = base.uses, base.source_file
        return step

    def _value(self, where: str, name: str, raw: Any, steps: dict[str, StepKeys], handles: dict[str, Any]) -> Any:
        if isinstance(raw, dict) and raw.get("type") == "data":
            try:
                data = DataInput.model_validate(raw)
            except PydanticError as exc:
                raise GraphError(f"{where}: input {name!r}: {_first_error(exc)}") from None
            path = Path(data.path)
            return Data(path if path.is_absolute() else Path.cwd() / path)
        if isinstance(raw, list) and raw and all(isinstance(r, str) and _ref(r, steps) for r in raw):
            return [self._handle(where, r, handles) for r in raw]
        if isinstance(raw, str):
            match = _REF.match(raw)
            if match and match.group(1) in steps:
                return self._handle(where, raw, handles)
            if match and not _PARAM.search(raw):
                close = difflib.get_close_matches(match.group(1), steps, n=1)
                if close:
                    raise GraphError(f"{where}: input {name!r} names unknown step {match.group(1)!r}; "
                                     f"did you mean {close[0]!r}?")
        return raw

    def _handle(self, where: str, ref: str, handles: dict[str, Any]) -> OutputHandle:
        node, output = ref.split(".", 1)
        produced = handles[node]
        options = produced if isinstance(produced, tuple) else (produced,)
        for handle in options:
            if handle.output == output:
                return handle
        names = ", ".join(h.output for h in options)
        raise GraphError(f"{where}: step {node!r} has no output {output!r} (outputs: {names})")


def _duplicate(docs: list[StepKeys]) -> str:
    seen: dict[str, int] = {}
    for index, doc in enumerate(docs):
        if doc.name in seen:
            return f"two steps are named {doc.name!r} (steps[{seen[doc.name]}] and steps[{index}])"
        seen[doc.name] = index
    return "two steps share a name"


def _ref(value: str, steps: dict[str, StepKeys]) -> bool:
    match = _REF.match(value)
    return bool(match and match.group(1) in steps)


def _substitute(where: str, raw: Any, values: dict[str, Any]) -> Any:
    if isinstance(raw, str):
        whole = _PARAM.fullmatch(raw.strip())
        if whole:
            return _param(where, whole.group(1), values)
        return _PARAM.sub(lambda m: str(_param(where, m.group(1), values)), raw)
    if isinstance(raw, list):
        return [_substitute(where, item, values) for item in raw]
    if isinstance(raw, dict):
        return {key: _substitute(where, item, values) for key, item in raw.items()}
    return raw


def _param(where: str, name: str, values: dict[str, Any]) -> Any:
    if name not in values:
        raise GraphError(f"{where}: ${{params.{name}}} is not a declared parameter; add it under 'parameters:'")
    return values[name]


def _order(source: Path, steps: dict[str, StepKeys]) -> list[StepKeys]:
    deps: dict[str, set[str]] = {}
    for doc in steps.values():
        needed = set(doc.depends_on)
        for name in needed - set(steps):
            raise GraphError(f"{source}: step {doc.name!r} depends_on unknown step {name!r}")
        for raw in doc.inputs.values():
            for item in raw if isinstance(raw, list) else [raw]:
                if isinstance(item, str) and _ref(item, steps):
                    needed.add(item.split(".", 1)[0])
        deps[doc.name] = needed
    try:
        return [steps[name] for name in topological_order(deps)]
    except CycleError as exc:
        raise GraphError(f"{source}: the steps {exc} depend on each other in a cycle") from None


def _first_error(exc: PydanticError) -> str:
    error = exc.errors()[0]
    location = ".".join(str(p) for p in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"unknown key {location!r}"
    return f"{location}: {error['msg']}"


def load_yaml_pipeline(path: str | Path) -> YamlPipeline:
    """Read and validate a pipeline YAML file (nothing runs)."""
    source = Path(path)
    try:
        data = yaml.safe_load(source.read_text())
    except FileNotFoundError:
        raise ValidationError(f"no such pipeline file: {source}") from None
    except yaml.YAMLError as exc:
        raise ValidationError(invalid_yaml(source, exc)) from None
    if not isinstance(data, dict):
        raise ValidationError(f"{source}: a pipeline file is a mapping with name, parameters and steps")
    try:
        doc = PipelineDoc.model_validate(data)
    except PydanticError as exc:
        raise GraphError(f"{source}: {_describe(exc, data)}") from None
    folder = str(source.resolve().parent)
    import sys

    if folder not in sys.path:
        sys.path.insert(0, folder)
    return YamlPipeline(doc, source)


def _describe(exc: PydanticError, data: dict[str, Any]) -> str:
    error = exc.errors()[0]
    loc = list(error["loc"])
    where = ""
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        steps = data.get("steps") or []
        name = steps[loc[1]].get("name") if loc[1] < len(steps) and isinstance(steps[loc[1]], dict) else None
        where = f"steps[{loc[1]}]" + (f" ({name})" if name else "") + ": "
        loc = loc[2:]
    field = ".".join(str(p) for p in loc)
    if error["type"] == "extra_forbidden":
        return f"{where}unknown key {field!r}"
    if error["type"] == "missing":
        return f"{where}missing required key {field!r}"
    return f"{where}{field}: {error['msg']}"
