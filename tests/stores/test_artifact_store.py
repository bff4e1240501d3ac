"""One contract suite for the artifact store, run against a local folder and S3 on a real moto server
(see `store`); S3-only behaviour is in test_s3_artifact_store.py."""

from __future__ import annotations

import hashlib
import json
import pickle
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from stored_objects import local_root, objects, staged

from mloop.core.errors import ConfigError, IntegrityError, NotFoundError, ValidationError
from mloop.core.hashing import hash_file, hash_folder
from mloop.stores.artifacts import (
    ArtifactStore,
    Materializer,
    get_materializer,
    ingest_path,
    load_object,
    materializer_for,
    open_artifact_store,
    register_materializer,
    save_object,
)
from mloop.stores.artifacts import materializers as materializers_module
from mloop.stores.artifacts.materializers import PickleMaterializer


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let a test register materializers without leaking them into other tests."""
    monkeypatch.setattr(materializers_module, "_REGISTRY", list(materializers_module._REGISTRY))
    monkeypatch.setattr(materializers_module, "_BY_NAME", dict(materializers_module._BY_NAME))


def round_trip(store: ArtifactStore, obj: Any, materializer: str | None = None) -> tuple[Any, Any]:
    stored = save_object(store, obj, materializer)
    return stored, load_object(store, stored.digest, stored.materializer)


class Point:
    def __init__(self, x: float, y: float) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)


class PointMaterializer(Materializer):
    name = "test.point"
    types = (f"{__name__}.Point",)
    filename = "point.json"

    def save(self, obj: Any, path: Path) -> dict[str, Any]:
        path.write_text(json.dumps([obj.x, obj.y]))
        return {"x": obj.x, "y": obj.y}

    def load(self, path: Path) -> Any:
        return Point(*json.loads(path.read_text()))


class BrokenMaterializer(Materializer):
    """Writes half a file, then fails, like a serialiser crashing mid-way."""

    name = "test.broken"
    filename = "half.bin"

    def save(self, obj: Any, path: Path) -> dict[str, Any]:
        path.write_bytes(b"half of an object")
        raise RuntimeError("disk full")


# ------------------------------------------------------------------ store and addressing


def test_store_is_chosen_by_url(tmp_path: Path) -> None:
    local = open_artifact_store(f"file://{tmp_path}/a")
    assert isinstance(local, ArtifactStore)
    assert local.supports_local_paths
    assert local.url == str(tmp_path / "a")
    with pytest.raises(ConfigError, match="no artifact store for gopher://"):
        open_artifact_store("gopher://host/bucket")


def test_constructor_does_no_io(tmp_path: Path) -> None:
    open_artifact_store(tmp_path / "not-yet")
    assert not (tmp_path / "not-yet").exists()


def test_same_object_is_stored_once_under_the_same_digest(store: ArtifactStore) -> None:
    first = save_object(store, {"a": [1, 2, 3], "b": "x"})
    second = save_object(store, {"b": "x", "a": [1, 2, 3]})
    assert first.digest == second.digest
    assert first.uri == second.uri
    assert len(objects(store)) == 1
    assert staged(store) == []


def test_different_objects_get_different_digests(store: ArtifactStore) -> None:
    first = save_object(store, {"a": 1})
    second = save_object(store, {"a": 2})
    assert first.digest != second.digest
    assert len(objects(store)) == 2


def test_digest_is_the_sha256_of_the_stored_bytes(store: ArtifactStore) -> None:
    stored = save_object(store, b"some bytes")
    path = store.local_path(stored.digest)
    assert stored.digest == hashlib.sha256(b"some bytes").hexdigest() == hash_file(path)
    assert stored.size == len(b"some bytes")
    assert path.read_bytes() == b"some bytes"
    assert store.exists(stored.digest)
    assert stored.uri == store.uri(stored.digest)
    assert stored.uri.endswith(f"/objects/{stored.digest[:2]}/{stored.digest}")


def test_put_bytes_is_atomic_and_idempotent(store: ArtifactStore) -> None:
    digest = hashlib.sha256(b"payload").hexdigest()
    uri = store.put_bytes(b"payload", digest, "value.bin")
    assert store.put_bytes(b"payload", digest, "value.bin") == uri
    assert store.local_path(digest).name == "value.bin"
    assert store.local_path(digest).read_bytes() == b"payload"
    assert len(objects(store)) == 1
    assert staged(store) == []


def test_missing_object_is_not_found(store: ArtifactStore) -> None:
    digest = "ab" * 32
    assert not store.exists(digest)
    with pytest.raises(NotFoundError, match="abababababab is missing"):
        store.local_path(digest)
    with pytest.raises(NotFoundError):
        load_object(store, digest, "json")


def test_failed_save_leaves_no_object_and_no_staging(store: ArtifactStore) -> None:
    save_object(store, "an earlier object")
    before = objects(store)
    with pytest.raises(RuntimeError, match="disk full"):
        save_object(store, b"payload", BrokenMaterializer())
    assert objects(store) == before
    assert staged(store) == []


def test_refused_object_leaves_no_object_and_no_staging(store: ArtifactStore) -> None:
    with pytest.raises(ValidationError, match="object arrays"):
        save_object(store, np.array([{"a": 1}, None], dtype=object))
    assert objects(store) == []
    assert staged(store) == []


def test_put_of_an_existing_object_never_deletes_a_source_it_did_not_stage(
    store: ArtifactStore, tmp_path: Path
) -> None:
    existing = save_object(store, Path(_write(tmp_path / "one" / "data.csv", "a,b\n1,2\n")), "path")
    # A user's file in a folder that happens to sit in a folder called `tmp`.
    source = _write(tmp_path / "tmp" / "batch" / "data.csv", "a,b\n1,2\n")
    assert store.put(source, existing.digest) == existing.uri
    assert source.read_text() == "a,b\n1,2\n"


def test_put_copies_a_source_it_did_not_stage(store: ArtifactStore, tmp_path: Path) -> None:
    source = _write(tmp_path / "data.csv", "a,b\n1,2\n")
    digest = hash_file(source)
    store.put(source, digest)
    assert source.read_text() == "a,b\n1,2\n"
    assert store.local_path(digest).read_text() == "a,b\n1,2\n"
    assert staged(store) == []


# ------------------------------------------------------------------------ materializers


@pytest.mark.parametrize(
    "value",
    [{"b": [1, 2.5], "a": {"nested": None}}, [1, "two", 3.0, True, None], "text", 42, 2.5, True, False, None],
    ids=["dict", "list", "str", "int", "float", "true", "false", "none"],
)
def test_json_round_trip(store: ArtifactStore, value: Any) -> None:
    stored, loaded = round_trip(store, value)
    assert stored.materializer == "json"
    assert loaded == value
    assert type(loaded) is type(value)
    assert stored.summary["python_type"] == type(value).__name__


def test_json_summary(store: ArtifactStore) -> None:
    assert save_object(store, {"a": 1, "b": 2}).summary == {"python_type": "dict", "length": 2}
    assert save_object(store, 7).summary == {"python_type": "int", "value": 7}


def test_json_refuses_what_it_cannot_encode(store: ArtifactStore) -> None:
    with pytest.raises(ValidationError, match="not JSON-serialisable"):
        save_object(store, {"when": object()})
    assert objects(store) == []


@pytest.mark.parametrize("value", [b"\x00\x01binary\xff", bytearray(b"mutable")], ids=["bytes", "bytearray"])
def test_bytes_round_trip(store: ArtifactStore, value: bytes | bytearray) -> None:
    stored, loaded = round_trip(store, value)
    assert stored.materializer == "bytes"
    assert loaded == bytes(value)
    assert stored.summary == {"length": len(value)}


def test_path_file_round_trip(store: ArtifactStore, tmp_path: Path) -> None:
    source = _write(tmp_path / "in" / "tx.csv", "id,amount\n1,9.5\n")
    stored, loaded = round_trip(store, source)
    assert stored.materializer == "path"
    assert stored.digest == hash_file(source)
    assert loaded.name == "tx.csv"
    assert loaded.read_text() == "id,amount\n1,9.5\n"
    assert loaded.is_relative_to(local_root(store))
    assert source.exists()  # copied, never moved
    assert stored.summary == {"kind": "file", "name": "tx.csv"}


def test_path_folder_round_trip(store: ArtifactStore, tmp_path: Path) -> None:
    folder = tmp_path / "dataset"
    _write(folder / "part-0.csv", "a\n1\n")
    _write(folder / "nested" / "part-1.csv", "a\n2\n")
    stored, loaded = round_trip(store, folder)
    assert stored.digest == hash_folder(folder)
    assert loaded.is_dir() and loaded.name == "dataset"
    assert (loaded / "part-0.csv").read_text() == "a\n1\n"
    assert (loaded / "nested" / "part-1.csv").read_text() == "a\n2\n"
    assert stored.summary == {"kind": "folder", "files": 2}
    assert stored.size == 8


def test_ingest_path_with_a_known_digest_does_not_copy_again(store: ArtifactStore, tmp_path: Path) -> None:
    source = _write(tmp_path / "tx.csv", "a\n1\n")
    first = ingest_path(store, source)
    again = ingest_path(store, source, digest=first.digest)
    assert again.digest == first.digest and again.uri == first.uri
    assert again.summary == {"kind": "file", "name": "tx.csv"}
    assert len(objects(store)) == 1


def test_path_that_does_not_exist_is_refused(store: ArtifactStore, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no such file or folder"):
        save_object(store, tmp_path / "missing.csv")
    assert staged(store) == []


@pytest.mark.parametrize(
    "array",
    [np.arange(12, dtype=np.int64).reshape(3, 4), np.linspace(0, 1, 5, dtype=np.float32), np.array(["a", "bc"])],
    ids=["int64-2d", "float32", "unicode"],
)
def test_numpy_round_trip(store: ArtifactStore, array: np.ndarray) -> None:
    stored, loaded = round_trip(store, array)
    assert stored.materializer == "numpy"
    np.testing.assert_array_equal(loaded, array)
    assert loaded.dtype == array.dtype
    assert stored.summary == {"shape": list(array.shape), "dtype": str(array.dtype)}


def test_numpy_object_arrays_are_refused(store: ArtifactStore) -> None:
    with pytest.raises(ValidationError, match="object arrays cannot be stored safely"):
        save_object(store, np.array([object()], dtype=object))


def test_arrow_table_round_trip(store: ArtifactStore) -> None:
    import pyarrow as pa

    table = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "name": ["a", "b", None]})
    stored, loaded = round_trip(store, table)
    assert stored.materializer == "arrow.parquet"
    assert loaded.equals(table)
    assert stored.summary == {"shape": [3, 2], "columns": {"id": "int64", "name": "string"}}


def test_pandas_dataframe_round_trip(store: ArtifactStore) -> None:
    import pandas as pd

    frame = pd.DataFrame({"amount": [1.5, 2.5, None], "label": [0, 1, 1]}, index=pd.Index(["a", "b", "c"], name="k"))
    stored, loaded = round_trip(store, frame)
    assert stored.materializer == "pandas.parquet"
    pd.testing.assert_frame_equal(loaded, frame)
    assert stored.summary["shape"] == [3, 3]  # the named index is stored as a column
    assert list(stored.summary["columns"]) == ["amount", "label", "k"]
    assert stored.summary["columns"]["amount"] == "double"
    assert stored.summary["columns"]["label"] == "int64"


def test_parquet_dictionary_encodes_all_but_floating_point_columns(store: ArtifactStore) -> None:
    import pandas as pd
    import pyarrow.parquet as pq

    frame = pd.DataFrame({"x": [0.1 * i for i in range(100)], "n": [i % 3 for i in range(100)],
                          "city": ["Lyon", "Oslo"] * 50})
    stored, loaded = round_trip(store, frame)
    pd.testing.assert_frame_equal(loaded, frame)
    meta = pq.ParquetFile(store.local_path(stored.digest)).metadata.row_group(0)
    encodings = {meta.column(i).path_in_schema: meta.column(i).encodings for i in range(meta.num_columns)}
    assert "RLE_DICTIONARY" not in encodings["x"]
    assert "RLE_DICTIONARY" in encodings["n"] and "RLE_DICTIONARY" in encodings["city"]


def _plain_frames() -> list[Any]:
    import pandas as pd

    rng = np.random.default_rng(1)
    first = pd.DataFrame({"a": np.arange(50), "b": rng.normal(size=50)})
    first.loc[3, "b"] = np.nan
    second = pd.DataFrame({"a": np.arange(50) * 2, "b": rng.normal(size=50)})  # same layout, new values
    ranged = pd.DataFrame({"x": rng.normal(size=4)}, index=pd.RangeIndex(5, 13, 2, name="row"))
    mixed = pd.DataFrame({"ok": [True, False, True], "u": np.array([1, 2, 3], np.uint8),
                          "f": np.array([0.5, np.nan, 1.5], np.float32), "i": np.array([-1, 0, 1], np.int16)})
    mixed.columns.name = "feature"
    return [first, second, ranged, mixed]


def test_plain_frames_are_stored_exactly_as_from_pandas_would(store: ArtifactStore) -> None:
    import pandas as pd
    import pyarrow as pa

    from mloop.core.hashing import hash_bytes
    from mloop.stores.artifacts.materializers import _parquet_bytes

    for frame in _plain_frames() * 2:  # the second pass converts by the schema kept from the first
        expected = hash_bytes(_parquet_bytes(pa.Table.from_pandas(frame, preserve_index=None))[0])
        stored, loaded = round_trip(store, frame)
        assert stored.digest == expected
        pd.testing.assert_frame_equal(loaded, frame)


def test_parquet_nested_columns_round_trip(store: ArtifactStore) -> None:
    import pyarrow as pa

    table = pa.table({"point": pa.array([{"x": 1.5, "tag": "a"}, {"x": 2.5, "tag": "a"}]), "w": [1.0, 2.0]})
    stored, loaded = round_trip(store, table)
    assert loaded.equals(table)


def test_pandas_frame_with_default_index_round_trip(store: ArtifactStore) -> None:
    import pandas as pd

    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    stored, loaded = round_trip(store, frame)
    pd.testing.assert_frame_equal(loaded, frame)
    assert stored.summary["shape"] == [2, 2]
    assert list(stored.summary["columns"]) == ["a", "b"]


def test_pandas_series_round_trip(store: ArtifactStore) -> None:
    import pandas as pd

    series = pd.Series([0.1, 0.2, 0.3], name="score")
    stored, loaded = round_trip(store, series)
    assert stored.materializer == "pandas.parquet"
    assert isinstance(loaded, pd.Series)
    pd.testing.assert_series_equal(loaded, series)
    assert stored.summary["shape"] == [3, 1]
    assert stored.summary["columns"] == {"score": "double"}


def test_pandas_unnamed_series_round_trip(store: ArtifactStore) -> None:
    import pandas as pd

    series = pd.Series([1, 2, 3])  # e.g. pd.Series(model.predict(features))
    stored, loaded = round_trip(store, series)
    assert loaded.name is None
    pd.testing.assert_series_equal(loaded, series)


def test_polars_dataframe_round_trip(store: ArtifactStore) -> None:
    import polars as pl
    from polars.testing import assert_frame_equal

    frame = pl.DataFrame({"id": [1, 2, 3], "city": ["Oslo", "Lima", None]})
    stored, loaded = round_trip(store, frame)
    assert stored.materializer == "polars.parquet"
    assert isinstance(loaded, pl.DataFrame)
    assert_frame_equal(loaded, frame)
    assert stored.summary["shape"] == [3, 2]
    assert set(stored.summary["columns"]) == {"id", "city"}


def _training_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(80, 4))
    return features, (features[:, 0] + features[:, 1] > 0).astype(int)


def test_sklearn_round_trip_uses_skops(store: ArtifactStore) -> None:
    from sklearn.linear_model import LogisticRegression

    features, labels = _training_data()
    model = LogisticRegression(C=0.5).fit(features, labels)
    stored, loaded = round_trip(store, model)
    assert stored.materializer == "sklearn.skops"
    assert isinstance(loaded, LogisticRegression)
    np.testing.assert_array_equal(loaded.predict_proba(features), model.predict_proba(features))
    assert stored.summary["estimator"] == "LogisticRegression"
    assert stored.summary["params"]["C"] == 0.5
    with zipfile.ZipFile(store.local_path(stored.digest)) as archive:
        assert "schema.json" in archive.namelist()  # a skops file, not a pickle
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_sklearn_pipeline_with_a_function_loads_with_exactly_the_types_skops_would_trust(
        store: ArtifactStore) -> None:
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from mloop.stores.artifacts.model_formats import _skops_types

    features, labels = _training_data()
    model = make_pipeline(FunctionTransformer(np.tanh), LogisticRegression()).fit(features, labels)
    stored, loaded = round_trip(store, model)
    np.testing.assert_array_equal(loaded.predict_proba(features), model.predict_proba(features))
    data = store.local_path(stored.digest).read_bytes()
    named = set(_skops_types(data))
    assert set(sio.get_untrusted_types(data=data)) <= named  # what skops asks to trust is all named
    assert {"numpy.tanh", "sklearn.pipeline.Pipeline"} <= named


def test_sklearn_digest_is_stable_across_saves_and_fits(store: ArtifactStore) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, labels = _training_data()
    model = LogisticRegression().fit(features, labels)
    first = save_object(store, model)
    # Zip timestamps have a 2-second resolution: wait into the next window so they would differ.
    time.sleep(2.05 - time.time() % 2)
    again = save_object(store, model)
    refit = save_object(store, LogisticRegression().fit(features, labels))
    assert first.digest == again.digest == refit.digest
    pipeline = save_object(store, make_pipeline(StandardScaler(), LogisticRegression()).fit(features, labels))
    pipeline_refit = save_object(store, make_pipeline(StandardScaler(), LogisticRegression()).fit(features, labels))
    assert pipeline.digest == pipeline_refit.digest != first.digest
    assert len(objects(store)) == 2


def test_sklearn_estimator_with_nested_params_round_trip(store: ArtifactStore) -> None:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    features, labels = _training_data()
    model = Pipeline([
        ("columns", ColumnTransformer([("scale", StandardScaler(), [0, 1]), ("keep", "passthrough", [2, 3])])),
        ("log", FunctionTransformer(inv_kw_args={"file": "a", "__id__": 1})),
        ("model", LogisticRegression(class_weight={0: 1.0, 1: 2.0})),
    ]).fit(features, labels)
    stored, loaded = round_trip(store, model)
    np.testing.assert_array_equal(loaded.predict_proba(features), model.predict_proba(features))
    assert loaded.named_steps["log"].inv_kw_args == {"file": "a", "__id__": 1}
    assert save_object(store, model).digest == stored.digest


def test_xgboost_booster_round_trip(store: ArtifactStore) -> None:
    import xgboost as xgb

    features, labels = _training_data()
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 2, "nthread": 1},
                        xgb.DMatrix(features, label=labels), num_boost_round=3)
    stored, loaded = round_trip(store, booster)
    assert stored.materializer == "xgboost.ubj"
    assert isinstance(loaded, xgb.Booster)
    matrix = xgb.DMatrix(features)
    np.testing.assert_array_equal(loaded.predict(matrix), booster.predict(matrix))
    assert stored.summary == {"booster": "xgboost", "num_features": 4, "rounds": 3}
    assert save_object(store, booster).digest == stored.digest


def test_lightgbm_booster_round_trip(store: ArtifactStore) -> None:
    import lightgbm as lgb

    features, labels = _training_data()
    params = {"objective": "binary", "num_leaves": 4, "min_data_in_leaf": 5, "verbose": -1, "num_threads": 1}
    booster = lgb.train(params, lgb.Dataset(features, label=labels), num_boost_round=3)
    stored, loaded = round_trip(store, booster)
    assert stored.materializer == "lightgbm.txt"
    assert isinstance(loaded, lgb.Booster)
    np.testing.assert_array_equal(loaded.predict(features), booster.predict(features))
    assert stored.summary == {"booster": "lightgbm", "num_features": 4, "trees": 3}
    assert save_object(store, booster).digest == stored.digest


def test_unknown_type_without_opt_in_is_refused_with_the_fix(store: ArtifactStore) -> None:
    with pytest.raises(ValidationError, match=r"no materializer for .*Point; register one with .*register_materializer"):
        materializer_for(Point(1, 2))
    with pytest.raises(ValidationError, match="pickle"):
        save_object(store, Point(1, 2))
    assert objects(store) == [] and staged(store) == []


def test_pickle_is_opt_in(store: ArtifactStore) -> None:
    stored, loaded = round_trip(store, Point(1.0, 2.0), "pickle")
    assert stored.materializer == "pickle"
    assert loaded == Point(1.0, 2.0)
    assert stored.summary == {"python_type": f"{__name__}.Point"}
    assert stored.type_name == f"{__name__}.Point"


def test_materializer_for_never_picks_pickle(registry: None) -> None:
    register_materializer(PickleMaterializer, Point)
    assert "pickle" not in {materializer_for(value).name for value in ({}, b"", np.zeros(1))}
    with pytest.raises(ValidationError, match="no materializer"):
        materializer_for(Point(1, 2))


def test_user_registered_materializer(store: ArtifactStore, registry: None) -> None:
    registered = register_materializer(PointMaterializer)
    assert get_materializer("test.point") is registered
    assert materializer_for(Point(3, 4)) is registered
    stored, loaded = round_trip(store, Point(3, 4))
    assert stored.materializer == "test.point"
    assert loaded == Point(3, 4)
    assert stored.summary == {"x": 3, "y": 4}
    assert store.local_path(stored.digest).name == "point.json"


class Interval:
    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high


class IntervalMaterializer(Materializer):
    """An in-memory materializer: dumps/loads bytes instead of writing a path."""

    name = "test.interval"
    types = (f"{__name__}.Interval",)
    filename = "interval.txt"

    def dumps(self, obj: Any) -> tuple[bytes, dict[str, Any]]:
        return f"{obj.low}..{obj.high}".encode(), {"width": obj.high - obj.low}

    def loads(self, data: bytes) -> Any:
        low, high = data.decode().split("..")
        return Interval(int(low), int(high))


def test_user_registered_in_memory_materializer(store: ArtifactStore, registry: None) -> None:
    register_materializer(IntervalMaterializer)
    stored, loaded = round_trip(store, Interval(3, 10))
    assert stored.materializer == "test.interval"
    assert stored.digest == hashlib.sha256(b"3..10").hexdigest()
    assert (loaded.low, loaded.high) == (3, 10)
    assert stored.summary == {"width": 7}
    assert store.local_path(stored.digest).name == "interval.txt"
    assert staged(store) == []


def test_registering_for_extra_types_and_later_registration_wins(registry: None) -> None:
    class Tagged(dict):
        pass

    assert materializer_for(Tagged()).name == "json"
    override = register_materializer(PointMaterializer(), Tagged)
    assert materializer_for(Tagged()) is override
    assert materializer_for({}).name == "json"


def test_materializer_needs_a_name(registry: None) -> None:
    class Nameless(Materializer):
        types = ("builtins.complex",)

    with pytest.raises(ValidationError, match="Nameless needs a name"):
        register_materializer(Nameless)
    with pytest.raises(ValidationError, match="unknown materializer 'nope'; known: .*json"):
        get_materializer("nope")


# ---------------------------------------------------------------------------- integrity


def test_corrupted_file_is_refused(store: ArtifactStore) -> None:
    stored = save_object(store, np.arange(100))
    path = store.local_path(stored.digest)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=f"artifact {stored.digest[:12]} is corrupted"):
        load_object(store, stored.digest, stored.materializer)


def test_tampered_pickle_is_never_unpickled(store: ArtifactStore, tmp_path: Path) -> None:
    stored = save_object(store, Point(1, 2), "pickle")
    marker = tmp_path / "pwned"
    store.local_path(stored.digest).write_bytes(pickle.dumps(_Exploit(marker)))
    with pytest.raises(IntegrityError):
        load_object(store, stored.digest, "pickle")
    assert not marker.exists()


def test_extra_file_in_a_stored_folder_is_refused(store: ArtifactStore, tmp_path: Path) -> None:
    folder = tmp_path / "dataset"
    _write(folder / "part-0.csv", "a\n1\n")
    stored = save_object(store, folder)
    _write(store.local_path(stored.digest) / "injected.csv", "a\n666\n")
    with pytest.raises(IntegrityError):
        load_object(store, stored.digest, "path")


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
