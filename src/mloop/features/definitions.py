"""Feature definitions: what a feature is, where its values come from, and how they are computed —
written once in Python and used both to build training data and to serve.

    customer = Entity("customer", join_keys=["customer_id"])
    stats = FeatureView(
        name="customer_stats", entities=[customer],
        source=ParquetSource("data/tx_stats.parquet", timestamp_field="event_time",
                             created_timestamp_field="loaded_at"),
        schema=[Feature("amount_7d", Float64), Feature("tx_count_7d", Int64)],
        ttl=timedelta(days=7),
    )
    ratio = OnDemandFeature("amount_ratio", inputs=["customer_stats:amount_7d", "amount"],
                            schema=[Feature("amount_ratio", Float64)], function=amount_ratio)
    fraud_features = FeatureService("fraud_v1", features=["customer_stats", "amount_ratio"])

Every definition has a canonical `spec()` (plain JSON, sorted) whose hash decides whether
`apply` makes a new version; a Python transform enters it by reference and code hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from mloop.core.errors import ValidationError

NAME_HINT = "letters, digits and _ (starting with a letter)"


def _check_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not name or not (name[0].isalpha() and name.replace("_", "a").isalnum()):
        raise ValidationError(f"{what} name {name!r} is not valid; use {NAME_HINT}")
    return name


@dataclass(frozen=True)
class ValueType:
    """A feature's type: its name and the Arrow type values have."""

    name: str
    arrow: str

    def __repr__(self) -> str:
        return self.name


Float64 = ValueType("Float64", "double")
Float32 = ValueType("Float32", "float")
Int64 = ValueType("Int64", "int64")
Int32 = ValueType("Int32", "int32")
String = ValueType("String", "string")
Bool = ValueType("Bool", "bool")
Timestamp = ValueType("Timestamp", "timestamp[us, tz=UTC]")
TYPES = {t.name: t for t in (Float64, Float32, Int64, Int32, String, Bool, Timestamp)}


def value_type(value: ValueType | str) -> ValueType:
    if isinstance(value, ValueType):
        return value
    found = TYPES.get(str(value))
    if found is None:
        raise ValidationError(f"unknown feature type {value!r}; one of {', '.join(TYPES)}")
    return found


@dataclass(frozen=True)
class Entity:
    """What features describe (a customer, a card): its name and the columns that identify it."""

    name: str
    join_keys: Sequence[str]
    description: str = ""

    def __post_init__(self) -> None:
        _check_name(self.name, "entity")
        keys = tuple([self.join_keys] if isinstance(self.join_keys, str) else self.join_keys)
        if not keys:
            raise ValidationError(f"entity {self.name!r} needs join_keys, e.g. join_keys=['{self.name}_id']")
        object.__setattr__(self, "join_keys", keys)

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, "join_keys": list(self.join_keys), "description": self.description}


@dataclass(frozen=True)
class Feature:
    name: str
    dtype: ValueType | str = Float64
    description: str = ""

    def __post_init__(self) -> None:
        _check_name(self.name, "feature")
        object.__setattr__(self, "dtype", value_type(self.dtype))

    def spec(self) -> dict[str, Any]:
        assert isinstance(self.dtype, ValueType)
        return {"name": self.name, "dtype": self.dtype.name, "description": self.description}


@dataclass(frozen=True)
class ParquetSource:
    """Rows in Parquet files (a file, a folder, a glob): `timestamp_field` is when a value was true
    (event time); `created_timestamp_field`, when it was known (loaded)."""

    path: str
    timestamp_field: str
    created_timestamp_field: str | None = None

    def spec(self) -> dict[str, Any]:
        return {"kind": "parquet", "path": str(self.path), "timestamp_field": self.timestamp_field,
                "created_timestamp_field": self.created_timestamp_field}

    def data(self) -> Any:
        return str(self.path)


@dataclass(frozen=True)
class SqlSource:
    """Rows from a DuckDB query (`SELECT ... FROM read_parquet('...')` or over other views)."""

    query: str
    timestamp_field: str
    created_timestamp_field: str | None = None

    def spec(self) -> dict[str, Any]:
        return {"kind": "sql", "query": self.query, "timestamp_field": self.timestamp_field,
                "created_timestamp_field": self.created_timestamp_field}

    def data(self) -> Any:
        return self.query


@dataclass(frozen=True, eq=False)
class DataFrameSource:
    """Rows of an in-memory table (pandas, polars, pyarrow); its content hash is part of the spec."""

    frame: Any
    timestamp_field: str
    created_timestamp_field: str | None = None

    def spec(self) -> dict[str, Any]:
        return {"kind": "frame", "content_hash": _frame_hash(self.frame), "timestamp_field": self.timestamp_field,
                "created_timestamp_field": self.created_timestamp_field}

    def data(self) -> Any:
        return self.frame


Source = ParquetSource | SqlSource | DataFrameSource


def _frame_hash(frame: Any) -> str:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    arrow = _as_arrow(frame)
    with pa.ipc.new_stream(sink, arrow.schema) as writer:
        writer.write_table(arrow)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


def _as_arrow(frame: Any) -> Any:
    from mloop.quality.inputs import as_arrow_table

    return as_arrow_table(frame, f"the {type(frame).__name__}")


def as_source(source: Any, timestamp_field: str | None = None) -> Source:
    if isinstance(source, (ParquetSource, SqlSource, DataFrameSource)):
        return source
    if timestamp_field is None:
        raise ValidationError("a DataFrame source needs its event time column: wrap it in "
                              "DataFrameSource(df, timestamp_field='event_time')")
    return DataFrameSource(source, timestamp_field)


def _function_ref(function: Callable[..., Any]) -> dict[str, Any]:
    from mloop.pipeline.caching.codehash import code_hash

    return {"kind": "python", "ref": f"{function.__module__}:{function.__qualname__}", "code_hash": code_hash(function)}


@dataclass(frozen=True, eq=False)
class FeatureView:
    """Features of one or more entities from one source, valid for `ttl` after their event time.
    `transform` turns source rows into feature rows before the point-in-time join and before
    materialization alike: a Python function (a pandas DataFrame in, a DataFrame out; vectorised)
    or SQL over the source as `source` (e.g. "SELECT *, amount / n AS mean_amount FROM source")."""

    name: str
    entities: Sequence[Entity]
    source: Source
    schema: Sequence[Feature]
    ttl: timedelta | None = None
    transform: Callable[[Any], Any] | str | None = None
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_name(self.name, "feature view")
        entities = tuple([self.entities] if isinstance(self.entities, Entity) else self.entities)
        if not entities or not all(isinstance(e, Entity) for e in entities):
            raise ValidationError(f"feature view {self.name!r} needs entities=[Entity(...)]")
        schema = tuple(self.schema)
        if not schema or not all(isinstance(f, Feature) for f in schema):
            raise ValidationError(f"feature view {self.name!r} needs schema=[Feature(name, type), ...]")
        names = [f.name for f in schema]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValidationError(f"feature view {self.name!r} lists {', '.join(duplicates)} twice in its schema")
        if self.ttl is not None and (not isinstance(self.ttl, timedelta) or self.ttl <= timedelta(0)):
            raise ValidationError(f"feature view {self.name!r}: ttl must be a positive timedelta, e.g. "
                                  "timedelta(days=7)")
        if not isinstance(self.source, (ParquetSource, SqlSource, DataFrameSource)):
            raise ValidationError(f"feature view {self.name!r}: source must be ParquetSource, SqlSource or "
                                  "DataFrameSource(df, timestamp_field=...)")
        object.__setattr__(self, "entities", entities)
        object.__setattr__(self, "schema", schema)

    @property
    def join_keys(self) -> tuple[str, ...]:
        return tuple(key for entity in self.entities for key in entity.join_keys)

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.schema)

    def feature(self, name: str) -> Feature:
        for item in self.schema:
            if item.name == name:
                return item
        raise ValidationError(f"feature view {self.name!r} has no feature {name!r}; its features: "
                              f"{', '.join(self.features)}")

    def spec(self) -> dict[str, Any]:
        transform: dict[str, Any] | None = None
        if callable(self.transform):
            transform = _function_ref(self.transform)
        elif isinstance(self.transform, str):
            transform = {"kind": "sql", "sql": self.transform}
        return {"name": self.name, "entities": [e.spec() for e in self.entities], "source": self.source.spec(),
                "schema": [f.spec() for f in self.schema],
                "ttl_seconds": self.ttl.total_seconds() if self.ttl else None, "transform": transform,
                "description": self.description, "tags": dict(sorted(self.tags.items()))}


@dataclass(frozen=True, eq=False)
class OnDemandFeature:
    """Features computed at request time from request data and other features, by the same
    vectorised `function` in training (after the point-in-time join) and in serving: it gets a
    pandas DataFrame with the `inputs` columns and returns a DataFrame with the `schema` columns.
    Inputs name view features as "view:feature" and request fields by their name."""

    name: str
    inputs: Sequence[str]
    schema: Sequence[Feature]
    function: Callable[[Any], Any]
    description: str = ""

    def __post_init__(self) -> None:
        _check_name(self.name, "on-demand feature")
        if not callable(self.function):
            raise ValidationError(f"on-demand feature {self.name!r} needs function=a callable taking a DataFrame")
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "schema", tuple(self.schema))

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.schema)

    @property
    def view_inputs(self) -> tuple[str, ...]:
        return tuple(i for i in self.inputs if ":" in i)

    @property
    def request_inputs(self) -> tuple[str, ...]:
        return tuple(i for i in self.inputs if ":" not in i)

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, "inputs": list(self.inputs), "schema": [f.spec() for f in self.schema],
                "function": _function_ref(self.function), "description": self.description}


@dataclass(frozen=True)
class FeatureService:
    """The named set of features a model uses: "view" (all its features), "view:feature", or the
    name of an on-demand feature."""

    name: str
    features: Sequence[str]
    description: str = ""

    def __post_init__(self) -> None:
        _check_name(self.name, "feature service")
        refs = tuple(self.features)
        if not refs:
            raise ValidationError(f"feature service {self.name!r} needs features=['view', 'view:feature', ...]")
        object.__setattr__(self, "features", refs)

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, "features": list(self.features), "description": self.description}


Definition = Entity | FeatureView | OnDemandFeature | FeatureService
KIND_OF: dict[type, str] = {Entity: "entity", FeatureView: "view", OnDemandFeature: "on_demand",
                            FeatureService: "service"}


def kind_of(definition: Any) -> str:
    return KIND_OF[type(definition)]


def spec_hash(spec: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()


def definitions_in(objects: Iterable[Any]) -> list[Definition]:
    """The definitions among `objects` (e.g. a module's globals), each once, entities of views included."""
    found: dict[tuple[str, str], Definition] = {}
    for obj in objects:
        if isinstance(obj, FeatureView):
            for entity in obj.entities:
                found.setdefault(("entity", entity.name), entity)
        if type(obj) in KIND_OF:
            key = (kind_of(obj), obj.name)
            if key in found and found[key] is not obj and found[key].spec() != obj.spec():
                raise ValidationError(f"two different {key[0]} definitions are named {key[1]!r}; rename one")
            found[key] = obj
    return list(found.values())


def _function_from(ref: dict[str, Any], what: str) -> Callable[[Any], Any]:
    from mloop.core.imports import resolve
    from mloop.pipeline.caching.codehash import code_hash

    function = resolve(ref["ref"])
    if code_hash(function) != ref["code_hash"]:
        raise ValidationError(f"{what}: {ref['ref']} changed since it was applied; apply the definitions again "
                              "(mloop features apply FILE) so training and serving use the same code")
    return function


def _source_from(spec: dict[str, Any], view: str) -> Source:
    fields = {"timestamp_field": spec["timestamp_field"], "created_timestamp_field": spec["created_timestamp_field"]}
    if spec["kind"] == "parquet":
        return ParquetSource(spec["path"], **fields)
    if spec["kind"] == "sql":
        return SqlSource(spec["query"], **fields)
    raise ValidationError(f"feature view {view!r} reads an in-memory table, which only the process that defined it "
                          "has; pass the FeatureView object itself, or give it a Parquet or SQL source")


def definition_from_spec(kind: str, spec: dict[str, Any]) -> Definition:
    """A definition rebuilt from its stored spec (Python functions imported by reference and
    checked against their code hash)."""
    if kind == "entity":
        return Entity(spec["name"], spec["join_keys"], spec.get("description", ""))
    if kind == "service":
        return FeatureService(spec["name"], spec["features"], spec.get("description", ""))
    schema = [Feature(f["name"], f["dtype"], f.get("description", "")) for f in spec["schema"]]
    if kind == "on_demand":
        return OnDemandFeature(spec["name"], spec["inputs"], schema,
                               _function_from(spec["function"], f"on-demand feature {spec['name']!r}"),
                               spec.get("description", ""))
    transform = spec.get("transform")
    function: Any = None
    if transform and transform["kind"] == "python":
        function = _function_from(transform, f"feature view {spec['name']!r}")
    elif transform:
        function = transform["sql"]
    return FeatureView(
        spec["name"], [Entity(e["name"], e["join_keys"], e.get("description", "")) for e in spec["entities"]],
        _source_from(spec["source"], spec["name"]), schema,
        ttl=timedelta(seconds=spec["ttl_seconds"]) if spec.get("ttl_seconds") else None, transform=function,
        description=spec.get("description", ""), tags=dict(spec.get("tags") or {}))
