from mloop.stores.artifacts import model_formats as _model_formats  # noqa: F401  (registers sklearn, xgboost, lightgbm)
from mloop.stores.artifacts import records as _records  # noqa: F401  (registers the record materializer)
from mloop.stores.artifacts.base import ArtifactStore, open_artifact_store
from mloop.stores.artifacts.materializers import (
    Materializer,
    get_materializer,
    materializer_for,
    register_materializer,
)
from mloop.stores.artifacts.objects import StoredObject, ingest_path, load_object, save_object

__all__ = [
    "ArtifactStore",
    "Materializer",
    "StoredObject",
    "get_materializer",
    "ingest_path",
    "load_object",
    "materializer_for",
    "open_artifact_store",
    "register_materializer",
    "save_object",
]
