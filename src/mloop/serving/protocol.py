"""Request and response bodies: mloop's `/predict` JSON and the Open Inference Protocol (v2, the
KServe/Triton REST protocol, with its binary tensor extension).

`/predict` takes a record `{col: value}`, a list of records, `{"records": [...]}`,
`{"instances": [...]}` or columns `{"columns": {col: [values]}}`. A v2 request carries one tensor
per input column (named as in the signature), or one 2-D tensor holding every column in the
signature's order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mloop.core.errors import ValidationError

if TYPE_CHECKING:
    from mloop.registry.signature import Signature
    from mloop.serving.models import Predictions


class BadRequestError(ValidationError):
    """A body that is not what the protocol expects (400), as opposed to data that does not fit (422)."""


@dataclass
class ParsedInput:
    """A request's rows: `records` (one dict per row) or `columns` ({column: values})."""

    records: list[dict[str, Any]] | None = None
    columns: dict[str, list[Any]] | None = None

    @property
    def rows(self) -> int:
        if self.records is not None:
            return len(self.records)
        return len(next(iter(self.columns.values()))) if self.columns else 0


def parse_json(body: bytes) -> Any:
    if not body:
        raise BadRequestError("the request body is empty; send JSON such as {\"records\": [{...}]}")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestError(f"the request body is not valid JSON: {exc}") from None


def predict_input(payload: Any) -> ParsedInput:
    """The rows of a `/predict` body."""
    if isinstance(payload, list):
        return ParsedInput(records=_records(payload, "the body"))
    if not isinstance(payload, dict):
        raise BadRequestError(f"the body must be a JSON object or list, got {type(payload).__name__}")
    if "columns" in payload and isinstance(payload["columns"], dict):
        columns = payload["columns"]
        lengths = {len(v) if isinstance(v, list) else -1 for v in columns.values()}
        if -1 in lengths or len(lengths) > 1:
            raise BadRequestError("\"columns\" must map each column to a list of values, all of one length")
        if not columns or lengths == {0}:
            raise BadRequestError("\"columns\" holds no rows")
        return ParsedInput(columns=columns)
    for key in ("records", "instances", "dataframe_records"):
        if key in payload and isinstance(payload[key], list):
            return ParsedInput(records=_records(payload[key], f"\"{key}\""))
    return ParsedInput(records=[payload])


def _records(items: list[Any], what: str) -> list[dict[str, Any]]:
    if not items:
        raise BadRequestError(f"{what} holds no records")
    if not all(isinstance(item, dict) for item in items):
        raise BadRequestError(f"{what} must be a list of JSON objects (one per row)")
    return items


# Open Inference Protocol v2 -----------------------------------------------------------------

V2_TYPES = {"float": "FP64", "integer": "INT64", "boolean": "BOOL"}  # everything else is BYTES
_NUMPY = {"BOOL": "bool", "UINT8": "<u1", "UINT16": "<u2", "UINT32": "<u4", "UINT64": "<u8", "INT8": "<i1",
          "INT16": "<i2", "INT32": "<i4", "INT64": "<i8", "FP16": "<f2", "FP32": "<f4", "FP64": "<f8"}


def v2_datatype(logical_type: str) -> str:
    return V2_TYPES.get(logical_type, "BYTES")


def split_binary(body: bytes, header_length: str | None) -> tuple[Any, bytes]:
    """The JSON part of a request and the binary tensor data after it (the binary extension)."""
    if header_length is None:
        return parse_json(body), b""
    try:
        length = int(header_length)
    except ValueError:
        raise BadRequestError(f"Inference-Header-Content-Length is not a number: {header_length!r}") from None
    if not 0 < length <= len(body):
        raise BadRequestError(f"Inference-Header-Content-Length {length} does not fit a body of {len(body)} bytes")
    return parse_json(body[:length]), body[length:]


def v2_input(payload: Any, binary: bytes, signature: Signature | None) -> tuple[ParsedInput, dict[str, Any]]:
    """The rows of a v2 infer request and what it asked for (id, outputs, binary outputs)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("inputs"), list) or not payload["inputs"]:
        raise BadRequestError("a v2 infer request needs \"inputs\": a list of tensors "
                              "({\"name\", \"shape\", \"datatype\", \"data\"})")
    offset, columns = 0, {}
    for tensor in payload["inputs"]:
        name, values, offset = _tensor_values(tensor, binary, offset)
        columns[name] = values
    names = signature.columns if signature is not None else None
    if names is not None and len(columns) == 1 and next(iter(columns)) not in names:
        ((name, rows),) = columns.items()  # one tensor of every column in the signature's order
        if not rows or not isinstance(rows[0], list) or len(rows[0]) != len(names):
            raise ValidationError(f"tensor {name!r} is not a column of the signature; send one tensor per column "
                                  f"({', '.join(names)}) or one [rows, {len(names)}] tensor")
        columns = {column: [row[i] for row in rows] for i, column in enumerate(names)}
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise ValidationError(f"input tensors have different numbers of rows: {sorted(lengths)}")
    options = {"id": payload.get("id"), "outputs": [o.get("name") for o in payload.get("outputs") or []
                                                   if isinstance(o, dict)],
               "binary": _wants_binary(payload)}
    return ParsedInput(columns=columns), options


def _tensor_values(tensor: Any, binary: bytes, offset: int) -> tuple[str, list[Any], int]:
    import numpy as np

    if not isinstance(tensor, dict) or not isinstance(tensor.get("name"), str):
        raise BadRequestError("each input tensor needs a \"name\"")
    name, datatype, shape = tensor["name"], tensor.get("datatype"), tensor.get("shape")
    if datatype not in _NUMPY and datatype != "BYTES":
        raise BadRequestError(f"tensor {name!r} has unknown datatype {datatype!r}")
    if not isinstance(shape, list) or not shape or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise BadRequestError(f"tensor {name!r} needs a shape: a list of sizes, e.g. [1] or [3, 20]")
    count = int(np.prod(shape))
    size = (tensor.get("parameters") or {}).get("binary_data_size")
    if size is not None:
        chunk = binary[offset:offset + int(size)]
        if len(chunk) != int(size):
            raise BadRequestError(f"tensor {name!r}: the body holds fewer binary bytes than its binary_data_size")
        offset += int(size)
        flat: list[Any] = _bytes_elements(chunk) if datatype == "BYTES" else np.frombuffer(
            chunk, dtype=_NUMPY[datatype]).tolist()
    else:
        flat = _flatten(tensor.get("data"), name)
    if len(flat) != count:
        raise ValidationError(f"tensor {name!r} has {len(flat)} values, its shape {shape} needs {count}")
    if len(shape) == 1 or (len(shape) == 2 and shape[1] == 1):
        return name, flat, offset
    width = count // shape[0] if shape[0] else 0
    return name, [flat[i * width:(i + 1) * width] for i in range(shape[0])], offset


def _flatten(data: Any, name: str) -> list[Any]:
    if not isinstance(data, list):
        raise BadRequestError(f"tensor {name!r} needs \"data\": a list of values")
    if data and isinstance(data[0], list):
        import numpy as np

        return np.asarray(data, dtype=object).reshape(-1).tolist()
    return data


def _bytes_elements(chunk: bytes) -> list[str]:
    values, position = [], 0
    while position < len(chunk):
        length = int.from_bytes(chunk[position:position + 4], "little")
        values.append(chunk[position + 4:position + 4 + length].decode())
        position += 4 + length
    return values


def _wants_binary(payload: dict[str, Any]) -> bool:
    if (payload.get("parameters") or {}).get("binary_data_output"):
        return True
    return any((o.get("parameters") or {}).get("binary_data") for o in payload.get("outputs") or []
               if isinstance(o, dict))


def v2_response(model: str, version: int, request_id: Any, outputs: Predictions, wanted: list[str],
                binary: bool) -> tuple[bytes, dict[str, str]]:
    """The body (JSON, or JSON + binary tensors) and extra headers of a v2 infer response."""
    import numpy as np

    tensors = [("prediction", np.asarray(outputs.prediction))]
    if outputs.probabilities is not None:
        tensors.append(("probabilities", np.asarray(outputs.probabilities, dtype=np.float64)))
    if wanted:
        unknown = [name for name in wanted if name not in dict(tensors)]
        if unknown:
            raise ValidationError(f"unknown output(s) {', '.join(map(repr, unknown))}; this model gives: "
                                  f"{', '.join(name for name, _ in tensors)}")
        tensors = [(name, array) for name, array in tensors if name in wanted]
    body: dict[str, Any] = {"model_name": model, "model_version": str(version), "outputs": []}
    if request_id is not None:
        body["id"] = request_id
    blobs = []
    for name, array in tensors:
        datatype = _array_datatype(array)
        entry: dict[str, Any] = {"name": name, "datatype": datatype, "shape": list(array.shape)}
        if binary and datatype != "BYTES":
            blob = np.ascontiguousarray(array, dtype=_NUMPY[datatype]).tobytes()
            entry["parameters"] = {"binary_data_size": len(blob)}
            blobs.append(blob)
        else:
            entry["data"] = array.reshape(-1).tolist() if datatype != "BYTES" else [str(v) for v in array.reshape(-1)]
        body["outputs"].append(entry)
    text = json.dumps(body).encode()
    if not blobs:
        return text, {}
    return text + b"".join(blobs), {"Inference-Header-Content-Length": str(len(text))}


def _array_datatype(array: Any) -> str:
    kind = array.dtype.kind
    if kind == "b":
        return "BOOL"
    if kind in "iu":
        return "INT64"
    if kind == "f":
        return "FP64"
    values = array.reshape(-1)
    if len(values) and all(isinstance(v, (int,)) and not isinstance(v, bool) for v in values.tolist()):
        return "INT64"
    return "BYTES"
