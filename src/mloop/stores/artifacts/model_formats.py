"""Materializers for model formats: scikit-learn through skops (a safe format, with its bytes made
canonical so the same model is the same artifact), XGBoost and LightGBM in their native formats."""

from __future__ import annotations

import io
import json
import os
import threading
import zipfile
from pathlib import Path
from typing import Any

from mloop.stores.artifacts.materializers import Materializer, register_materializer


def deterministic_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps and sorted entries, so equal content hashes equally."""
    source = zipfile.ZipFile(io.BytesIO(data))
    return _write_zip({name: source.read(name) for name in source.namelist()})


def canonical_skops(data: bytes) -> bytes:
    """A skops file that is the same bytes every time the same model is saved.

    skops names nodes (`__id__`) and array files by `id(obj)`, which changes from one save to the
    next; renumber both in schema order (ids from 1: skops does not memoise id 0), then zip
    deterministically.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    entries = {name: source.read(name) for name in source.namelist()}
    schema = json.loads(entries.pop("schema.json"))
    ids: dict[int, int] = {}
    files: dict[str, str] = {}

    def renumber(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("__id__"), int):
                node["__id__"] = ids.setdefault(node["__id__"], len(ids) + 1)
            if isinstance(node.get("file"), str) and node["file"] in entries:
                node["file"] = files.setdefault(node["file"], f"{len(files) + 1}{Path(node['file']).suffix}")
            for value in node.values():
                renumber(value)
        elif isinstance(node, list):
            for value in node:
                renumber(value)

    renumber(schema)
    renamed = {files.get(name, name): content for name, content in entries.items()}
    renamed["schema.json"] = json.dumps(schema, indent=2).encode()
    return _write_zip(renamed)


def _write_zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, entries[name])
    return out.getvalue()


class SklearnMaterializer(Materializer):
    """scikit-learn estimators and pipelines in skops' safe format (no pickle on load)."""

    name = "sklearn.skops"
    types = ("sklearn.base.BaseEstimator",)
    filename = "model.skops"

    def dumps(self, obj: Any) -> tuple[bytes, dict[str, Any]]:
        import skops.io as sio

        params = {k: v for k, v in obj.get_params(deep=False).items() if isinstance(v, (int, float, str, bool))}
        return canonical_skops(sio.dumps(obj)), {"estimator": type(obj).__name__, "params": params}

    def loads(self, data: bytes) -> Any:
        import skops.io as sio
        from skops.io.exceptions import UntrustedTypesFoundException

        # Only types mloop itself saved can be in the file: the hash was checked before loading.
        # The types its schema names are read without building skops' whole tree (which
        # get_untrusted_types does, doubling the load time); it is the fallback.
        with _SKOPS_LOADS:
            try:
                return sio.loads(data, trusted=_skops_types(data))
            except UntrustedTypesFoundException:
                return sio.loads(data, trusted=sio.get_untrusted_types(data=data))


#: One skops load at a time in a process: numpy reads each array's header with ast.literal_eval,
#: and CPython 3.11 builds AST objects with a per-interpreter depth counter that two threads doing
#: so at once can corrupt ("SystemError: AST constructor recursion depth mismatch", CPython
#: gh-106905). A load is milliseconds; steps and servers loading models in parallel wait in turn.
_SKOPS_LOADS = threading.Lock()


def _skops_types(data: bytes) -> list[str]:
    """Every `module.Class` a skops file's schema names."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__class__" in node and "__module__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(found)


class XGBoostMaterializer(Materializer):
    name = "xgboost.ubj"
    types = ("xgboost.core.Booster",)
    filename = "model.ubj"

    def save(self, obj: Any, path: Path) -> dict[str, Any]:
        obj.save_model(os.fspath(path))
        return {"booster": "xgboost", "num_features": obj.num_features(), "rounds": obj.num_boosted_rounds()}

    def load(self, path: Path) -> Any:
        import xgboost as xgb

        booster = xgb.Booster()
        booster.load_model(os.fspath(path))
        return booster


class LightGBMMaterializer(Materializer):
    name = "lightgbm.txt"
    types = ("lightgbm.basic.Booster",)
    filename = "model.txt"

    def dumps(self, obj: Any) -> tuple[bytes, dict[str, Any]]:
        summary = {"booster": "lightgbm", "num_features": obj.num_feature(), "trees": obj.num_trees()}
        return obj.model_to_string().encode(), summary

    def loads(self, data: bytes) -> Any:
        import lightgbm as lgb

        return lgb.Booster(model_str=data.decode())


for _materializer in (SklearnMaterializer, XGBoostMaterializer, LightGBMMaterializer):
    register_materializer(_materializer)
