"""Stream entries to model input and model output to stream entries, one batch at a time.

An entry holds either one field `data` (a JSON record) or one field per input column (text, as
Redis keeps it). Fields named in CARRIED (`request_id`, `key`) travel to the result untouched. The
batch's fields become columns once; each column is converted to its signature type with pandas
(vectorised), and a value that does not convert, or breaks the signature, rejects its entry
alone, with a reason: the rest of the batch is scored. A missing value is an absent field, an
empty string, or JSON null, and is accepted where the signature allows missing values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mloop.registry.signature import ColumnSpec, Signature

DATA_FIELD = "data"
CARRIED = ("request_id", "key")
_BOOLEANS = {"true": True, "1": True, "1.0": True, "yes": True, "false": False, "0": False, "0.0": False,
             "no": False}


@dataclass
class EntryBatch:
    """The valid entries as one model input frame, and the rejected ones with their reasons."""

    ids: list[str]
    fields: list[dict[str, str]]
    frame: Any  # a DataFrame of the valid entries, the signature's columns and types
    valid: np.ndarray  # positions in `ids` of the frame's rows
    rejected: dict[int, list[str]] = field(default_factory=dict)  # position -> reasons
    carried: dict[str, list[Any]] = field(default_factory=dict)  # CARRIED name -> value per entry or None


def read_entries(entries: Sequence[tuple[str, dict[str, str]]], signature: Signature) -> EntryBatch:
    """`entries` as XREADGROUP returns them (ids and field maps, decoded), checked against `signature`."""
    import pandas as pd

    ids = [entry_id for entry_id, _ in entries]
    fields = [values for _, values in entries]
    rejected: dict[int, list[str]] = {}
    data_is_column = DATA_FIELD in signature.columns
    records = _records(fields, rejected, data_is_column)
    unreadable = {position: list(reasons) for position, reasons in rejected.items()}
    names: set[str] = set().union(*records) if records else set()
    carried = {}
    for name in CARRIED:
        if name in names and name not in signature.columns:
            carried[name] = [None if _missing(v) else str(v) for v in (record.get(name) for record in records)]
    bad = np.zeros(len(ids), dtype=bool)
    for position in rejected:
        bad[position] = True
    columns = {spec.name: _convert(spec, [record.get(spec.name) for record in records], bad, rejected)
               for spec in signature.inputs}
    ignored = set(columns) | set(carried) | (set() if data_is_column else {DATA_FIELD})
    for name in sorted(names - ignored):
        values = pd.Series([record.get(name) for record in records], dtype=object)
        _reject(rejected, bad, ~_missing_mask(values), lambda _value, name=name: f"unexpected field {name!r}",
                values)
    rejected.update(unreadable)  # an entry that could not be read has that one reason
    valid = np.flatnonzero(~bad)
    frame = pd.DataFrame({name: _typed(spec, column.iloc[valid])
                          for spec, (name, column) in zip(signature.inputs, columns.items(), strict=True)})
    frame.index = range(len(valid))
    return EntryBatch(ids, fields, frame, valid, rejected, carried)


def _records(fields: list[dict[str, str]], rejected: dict[int, list[str]], data_is_column: bool) -> list[dict]:
    """One dict per entry: its JSON record, or its fields as they are."""
    if data_is_column:
        return fields
    json_positions = [i for i, values in enumerate(fields) if DATA_FIELD in values]
    if not json_positions:
        return fields
    texts = [fields[i][DATA_FIELD] for i in json_positions]
    try:
        parsed = json.loads("[" + ",".join(texts) + "]")
        if len(parsed) != len(texts) or not all(type(record) is dict for record in parsed):
            raise ValueError("not one object per entry")
    except ValueError:  # some entry is not one JSON object: find which, one by one
        parsed = [_parse_record(text) for text in texts]
    records = list(fields)
    for position, record in zip(json_positions, parsed, strict=True):
        if isinstance(record, str):
            rejected.setdefault(position, []).append(record)
            record = {}
        for name in CARRIED:
            if name in fields[position] and name not in record:
                record[name] = fields[position][name]
        records[position] = record
    return records


def _parse_record(text: str) -> dict | str:
    try:
        record = json.loads(text)
    except ValueError as exc:
        return f"field {DATA_FIELD!r} is not valid JSON ({exc})"
    if not isinstance(record, dict):
        return f"field {DATA_FIELD!r} holds a JSON {type(record).__name__}, expected an object {{column: value}}"
    return record


def _missing(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def _missing_mask(series: Any) -> np.ndarray:
    mask = series.isna().to_numpy(dtype=bool)
    if series.dtype == object or str(series.dtype) in ("str", "string"):
        mask = mask | (series == "").to_numpy(dtype=bool)
    return mask


def _reject(rejected: dict[int, list[str]], bad: np.ndarray, mask: np.ndarray, reason: Any, values: Any) -> None:
    """Mark the entries where `mask` holds as rejected; `reason(value)` is built for those only."""
    positions = np.flatnonzero(mask)
    if not len(positions):
        return
    bad[positions] = True
    shown = np.asarray(values, dtype=object)[positions]
    for position, value in zip(positions.tolist(), shown, strict=True):
        rejected.setdefault(position, []).append(reason(value))


def _convert(spec: ColumnSpec, column: list[Any], bad: np.ndarray, rejected: dict[int, list[str]]) -> Any:
    """`column` as `spec`'s type; entries whose value does not fit are marked in `bad` with a reason."""
    import pandas as pd

    numbers = _numbers(column) if spec.type in ("integer", "float") else None
    if numbers is not None:  # the common case, in C: every value is a number, or missing
        missing = np.isnan(numbers)
        if spec.type == "integer":
            fractional = ~missing & (np.nan_to_num(numbers) % 1 != 0)
            _reject(rejected, bad, fractional, lambda v: f"{spec.name!r} is {v!r}, expected a whole number", column)
        if not spec.nullable:
            _reject(rejected, bad, missing, lambda _v: f"{spec.name!r} is missing, and the model had no missing "
                    "values there in training", column)
        return pd.Series(numbers)
    raw = pd.Series(column, dtype=object)
    missing = _missing_mask(raw)
    present = raw.where(~missing)
    if spec.type in ("integer", "float"):
        values = pd.to_numeric(present.where(~missing, None), errors="coerce")
        wrong = ~missing & values.isna().to_numpy(dtype=bool)
        _reject(rejected, bad, wrong, lambda v: f"{spec.name!r} is {v!r}, expected a number ({spec.type})", raw)
        if spec.type == "integer":
            fractional = ~missing & ~wrong & (values.fillna(0) % 1 != 0).to_numpy(dtype=bool)
            _reject(rejected, bad, fractional, lambda v: f"{spec.name!r} is {v!r}, expected a whole number", raw)
    elif spec.type == "boolean":
        values = raw.astype(str).str.strip().str.lower().map(_BOOLEANS).where(~missing)
        wrong = ~missing & values.isna().to_numpy(dtype=bool)
        _reject(rejected, bad, wrong, lambda v: f"{spec.name!r} is {v!r}, expected true or false", raw)
    elif spec.type == "datetime":
        values = pd.to_datetime(present, errors="coerce", format="ISO8601")
        wrong = ~missing & values.isna().to_numpy(dtype=bool)
        _reject(rejected, bad, wrong, lambda v: f"{spec.name!r} is {v!r}, expected a date and time (ISO 8601)",
                raw)
    elif spec.categories is not None:
        known = [str(category) for category in spec.categories]
        codes = pd.Index(known).get_indexer(raw.astype(str).to_numpy())
        wrong = ~missing & (codes < 0)
        labels = np.asarray(spec.categories + [None], dtype=object)  # code -1 picks None
        values = pd.Series(labels[np.where(missing, -1, codes)], index=raw.index, dtype=object)
        listed = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
        _reject(rejected, bad, wrong, lambda v: f"{spec.name!r} has unknown value {v!r} (known: {listed})", raw)
    elif spec.type == "string":
        values = raw.astype(str).where(~missing)
    else:
        values = present
    if not spec.nullable:
        _reject(rejected, bad, missing,
                lambda _v: f"{spec.name!r} is missing, and the model had no missing values there in training", raw)
    return values


def _numbers(column: list[Any]) -> np.ndarray | None:
    """`column` as float64 (NaN where missing: None, "" or null) when every value is a number or
    the text of one; None otherwise (the caller then finds the entries that are not)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        array = pa.array(column)
        if pa.types.is_string(array.type):
            array = pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)
        elif not (pa.types.is_integer(array.type) or pa.types.is_floating(array.type) or pa.types.is_null(array.type)):
            return None
        return np.asarray(array.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return None


def _typed(spec: ColumnSpec, values: Any) -> Any:
    """The valid entries' values in the dtype the model was trained with, where they fit it."""
    if spec.type == "integer" and values.notna().all():
        return values.astype(spec.dtype if spec.dtype.startswith(("int", "uint", "Int", "UInt")) else "int64")
    if spec.type == "float":
        return values.astype("float64")
    if spec.type == "boolean" and values.notna().all():
        return values.astype(bool)
    return values


def result_fields(batch: EntryBatch, predictions: Any, probabilities: Any, classes: list[Any] | None,
                  model_version: str) -> list[dict[str, str]]:
    """One result entry per valid input: `id` (the input entry's id), `prediction`, `probabilities`
    (a JSON object class -> probability, when the model gives them), `model_version`, and the
    carried fields the input had. Values are formatted per column (pyarrow), not per row."""
    ids = [batch.ids[position] for position in batch.valid.tolist()]
    columns: dict[str, list[str]] = {"id": ids, "prediction": _texts(predictions)}
    if probabilities is not None:
        columns["probabilities"] = _probability_json(np.asarray(probabilities, dtype=float), classes)
    columns["model_version"] = [model_version] * len(ids)
    names = list(columns)
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    _add_carried(rows, batch, batch.valid.tolist())
    return rows


def dead_letter_fields(batch: EntryBatch, model_version: str) -> list[dict[str, str]]:
    """One entry per rejected input: its id, the reason, the entry's own fields (JSON) to replay it."""
    positions = sorted(batch.rejected)
    rows = [{"id": batch.ids[p], "error": "; ".join(batch.rejected[p]), "entry": json.dumps(batch.fields[p]),
             "model_version": model_version} for p in positions]
    _add_carried(rows, batch, positions)
    return rows


def _add_carried(rows: list[dict[str, str]], batch: EntryBatch, positions: list[int]) -> None:
    for name, values in batch.carried.items():
        for row, position in zip(rows, positions, strict=True):
            if values[position] is not None:
                row[name] = values[position]


def _texts(values: Any) -> list[str]:
    import pyarrow as pa

    array = np.asarray(values)
    if array.ndim > 1:
        return [json.dumps(row) for row in array.tolist()]
    if array.dtype.kind in "biuf":
        return pa.array(array).cast(pa.string()).to_pylist()
    return [str(value) for value in array.tolist()]


def _probability_json(probabilities: np.ndarray, classes: list[Any] | None) -> list[str]:
    """`{"<class>": p, ...}` per row, built column by column; NaN or infinite is null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if probabilities.ndim == 1:
        probabilities = probabilities[:, None]
    names = classes if classes is not None and len(classes) == probabilities.shape[1] else \
        list(range(probabilities.shape[1]))
    pieces: list[Any] = []
    for column, name in enumerate(names):
        values = probabilities[:, column]
        text = pa.array(values).cast(pa.string())
        text = pc.if_else(pa.array(np.isfinite(values)), text, pa.scalar("null"))
        pieces += [pa.scalar(("{" if column == 0 else ", ") + json.dumps(str(name)) + ": "), text]
    pieces.append(pa.scalar("}"))
    return pc.binary_join_element_wise(*pieces, "").to_pylist()
