"""A loaded model version: predicts only on input that matches its signature."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mloop.core.errors import ValidationError
from mloop.registry import adapters
from mloop.registry.signature import Signature
from mloop.stores.artifacts import load_object
from mloop.stores.workspace import Workspace

if TYPE_CHECKING:
    from mloop.registry.versions import ModelVersion


class LoadedModel:
    """`.predict(df)` / `.predict_proba(df)` check `df` against the signature first (one error
    naming every missing, extra or mistyped column); `.model` is the raw model object."""

    def __init__(self, model: Any, version: ModelVersion) -> None:
        self.model = model
        self.version = version
        self.signature: Signature | None = version.signature

    @classmethod
    def from_version(cls, version: ModelVersion) -> LoadedModel:
        record = version.artifact.record  # the bytes are re-hashed on load: IntegrityError on a mismatch
        return cls(load_object(version._workspace.artifacts, record.id, record.materializer), version)

    def prepare(self, data: Any) -> Any:
        """`data` checked against the signature, as the DataFrame the model gets."""
        if self.signature is None:
            return data
        return self.signature.validate(data, what=f"input for {self.version.ref}")

    def predict(self, data: Any) -> Any:
        return adapters.predict(self.model, self.prepare(data))

    def predict_proba(self, data: Any) -> Any:
        if not callable(getattr(self.model, "predict_proba", None)):
            raise ValidationError(f"{self.version.ref} ({adapters.type_name(self.model)}) gives no class "
                                  "probabilities; use .predict(...)")
        return self.model.predict_proba(self.prepare(data))

    def __repr__(self) -> str:
        return f"<loaded model {self.version.ref} {adapters.type_name(self.model)}>"


def load_model(ref: str, workspace: Workspace | None = None) -> LoadedModel:
    """Load 'fraud@champion', 'fraud/3' or 'fraud@latest', verifying the stored bytes' hash."""
    from mloop.registry.versions import get_model_version

    return get_model_version(ref, workspace=workspace).load()
