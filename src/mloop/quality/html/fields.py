"""Checking the plain dicts the report pages are built from, before any HTML is made."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mloop.core.errors import ValidationError


def require(data: Any, keys: Sequence[str], what: str) -> Mapping[str, Any]:
    """`data` as a mapping that has every key in `keys`; a `ValidationError` naming the gap otherwise."""
    if not isinstance(data, Mapping):
        raise ValidationError(f"the {what} must be a dict, not {type(data).__name__}; pass the report's to_dict()")
    missing = [key for key in keys if key not in data]
    if missing:
        names = ", ".join(repr(key) for key in missing)
        raise ValidationError(f"the {what} has no {names}; pass the report's to_dict()")
    return data


def records(data: Mapping[str, Any], key: str, what: str, keys: Sequence[str]) -> list[Mapping[str, Any]]:
    """`data[key]` as a list of mappings, each with `keys`."""
    items = data.get(key) or []
    if not isinstance(items, Sequence) or isinstance(items, (str, bytes)):
        raise ValidationError(f"'{key}' of the {what} must be a list, not {type(items).__name__}; "
                              "pass the report's to_dict()")
    return [require(item, keys, f"{what}'s {key}[{index}]") for index, item in enumerate(items)]
