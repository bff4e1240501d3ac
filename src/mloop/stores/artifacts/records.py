"""Records: objects that are plain data with a `to_dict()` method and a `from_dict()` class method
(validation and drift reports, data profiles). They are stored as canonical JSON with their type,
so they load back as the same class and their bytes (and so their artifact id) depend only on
their content. A domain registers its record types with `register_record_type`; loading imports
the type by name, which is allowed for registered types and for mloop's own.
"""

from __future__ import annotations

import json
from typing import Any

from mloop.core.errors import ValidationError
from mloop.core.imports import resolve
from mloop.stores.artifacts.materializers import Materializer, register_materializer


class RecordMaterializer(Materializer):
    name = "record"
    filename = "record.json"

    def dumps(self, obj: Any) -> tuple[bytes, dict[str, Any]]:
        kind = f"{type(obj).__module__}:{type(obj).__qualname__}"
        # `artifact_data()`, where a type has it, leaves out what would make equal content differ
        # (e.g. when a report was made), so the same content is the same artifact
        data = obj.artifact_data() if hasattr(obj, "artifact_data") else obj.to_dict()
        text = json.dumps({"type": kind, "data": data}, sort_keys=True, allow_nan=True, default=str)
        summary = obj.artifact_summary() if hasattr(obj, "artifact_summary") else {}
        return text.encode(), {"python_type": type(obj).__name__, **summary}

    def loads(self, data: bytes) -> Any:
        document = json.loads(data)
        kind = document.get("type", "")
        registered = kind.replace(":", ".") in self.types
        if not (registered or kind.startswith("mloop.")):
            raise ValidationError(f"record type {kind!r} is not registered; import the package that defines it "
                                  "(it calls mloop.stores.artifacts.records.register_record_type)")
        return resolve(kind).from_dict(document["data"])


_RECORDS = RecordMaterializer()
register_materializer(_RECORDS)


def register_record_type(*types: type) -> None:
    """Store instances of `types` (each with `to_dict()` and `from_dict()`) as records."""
    for cls in types:
        if not (hasattr(cls, "to_dict") and hasattr(cls, "from_dict")):
            raise ValidationError(f"{cls.__qualname__} needs to_dict() and from_dict() to be stored as a record")
        name = f"{cls.__module__}.{cls.__qualname__}"
        if name not in _RECORDS.types:
            _RECORDS.types = (*_RECORDS.types, name)
