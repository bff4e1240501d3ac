"""Scoring one chunk of a batch: the model's input columns go through the signature check and the
model; the id and kept columns are carried beside them untouched (Arrow arrays, no copy); the
output is a pyarrow Table of id, kept columns, `prediction`, `probability_<class>` and
`model_version`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mloop.core.errors import ValidationError
from mloop.registry import adapters
from mloop.registry.versions import ModelVersion

#: the columns every scored table has (an id or kept column must not take these names)
PREDICTION = "prediction"
MODEL_VERSION = "model_version"
PROBABILITY_PREFIX = "probability_"

#: scikit-learn classifiers whose `predict` is, by their code, `classes_[argmax(predict_proba)]`:
#: for them the prediction is taken from the probabilities instead of a second pass over the trees
_ARGMAX_CLASSIFIERS = frozenset({
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.ensemble._forest.ExtraTreesClassifier",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._classes.ExtraTreeClassifier",
})


class ChunkScorer:
    """Scores chunks with one loaded model version; `read_columns` is what to read from the input."""

    def __init__(self, version: ModelVersion, source_columns: Sequence[str], *, id_column: str | None = None,
                 keep_columns: Sequence[str] = (), probabilities: bool = True, source_name: str = "the input") -> None:
        self.version = version
        self.id_column = id_column
        self.carried = list(dict.fromkeys(([id_column] if id_column else []) + list(keep_columns)))
        self.inputs = model_inputs(version, source_columns, self.carried, source_name)
        self.read_columns = self.carried + [c for c in self.inputs if c not in self.carried]
        _check_names(self.carried)
        self.want_probabilities = probabilities
        self.loaded: Any = None
        self.classes: list[Any] | None = None
        self._argmax_classes: Any = None

    def load(self) -> None:
        import numpy as np

        self.loaded = self.version.load()
        model = self.loaded.model
        signature = self.version.signature
        outputs = {o.name: o for o in signature.outputs} if signature else {}
        if self.want_probabilities:
            if signature is not None and "probabilities" not in outputs:
                self.want_probabilities = False  # e.g. a regressor, or an SVC without probability=True
            elif not callable(getattr(model, "predict_proba", None)):
                self.want_probabilities = False
        known = adapters.classes(model) or (outputs["prediction"].classes if "prediction" in outputs else None)
        self.classes = list(known) if known is not None else None
        final = model.steps[-1][1] if adapters.type_name(model) == "sklearn.pipeline.Pipeline" else model
        final_classes = getattr(final, "classes_", None)
        if (self.want_probabilities and adapters.type_name(final) in _ARGMAX_CLASSIFIERS
                and isinstance(final_classes, np.ndarray) and final_classes.ndim == 1):
            self._argmax_classes = final_classes

    def score(self, chunk: Any) -> Any:
        """The scored table of `chunk` (a pyarrow Table holding `read_columns`)."""
        import numpy as np
        import pyarrow as pa

        if self.loaded is None:
            self.load()
        frame = chunk.select(self.inputs).to_pandas()
        prepared = self.loaded.prepare(frame)  # one ValidationError naming every bad column
        model = self.loaded.model
        probabilities = adapters.predict_proba(model, prepared) if self.want_probabilities else None
        if probabilities is not None and self._argmax_classes is not None:
            prediction = self._argmax_classes.take(np.argmax(probabilities, axis=1), axis=0)
        else:
            prediction = np.asarray(adapters.predict(model, prepared))
        names = list(self.carried) + [PREDICTION]
        arrays = [chunk.column(c) for c in self.carried] + [_arrow_column(prediction)]
        if probabilities is not None:
            matrix = np.asarray(probabilities)
            if matrix.ndim == 2:
                labels = self.classes if self.classes and len(self.classes) == matrix.shape[1] \
                    else list(range(matrix.shape[1]))
                names += [f"{PROBABILITY_PREFIX}{label}" for label in labels]
                arrays += [pa.array(np.ascontiguousarray(matrix[:, i])) for i in range(matrix.shape[1])]
        names.append(MODEL_VERSION)
        arrays.append(pa.repeat(pa.scalar(self.version.ref), chunk.num_rows))
        return pa.Table.from_arrays(arrays, names=names)


def model_inputs(version: ModelVersion, source_columns: Sequence[str], carried: Sequence[str],
                 source_name: str) -> list[str]:
    """The columns the model takes: its signature's (each must be in the input; other input
    columns are not passed), else every input column but the carried ones."""
    signature = version.signature
    if signature is not None:
        missing = [c for c in signature.columns if c not in source_columns]
        if missing:
            raise ValidationError(
                f"{source_name} does not match the signature of {version.ref}: missing column(s) "
                f"{', '.join(map(repr, missing))} (expected columns: "
                f"{', '.join(f'{c.name}:{c.type}' for c in signature.inputs)})")
        return list(signature.columns)
    inputs = [c for c in source_columns if c not in carried]
    if not inputs:
        raise ValidationError(f"{source_name} has no column left for the model once the id and kept columns "
                              "are set aside")
    return inputs


def _check_names(carried: Sequence[str]) -> None:
    for name in carried:
        if name in (PREDICTION, MODEL_VERSION) or name.startswith(PROBABILITY_PREFIX):
            raise ValidationError(f"the input column {name!r} would clash with an output column of the same name; "
                                  "rename it before scoring")


def _arrow_column(values: Any) -> Any:
    import pyarrow as pa

    if values.ndim == 2:  # several outputs a row (multi-output models): a fixed-size list each
        return pa.FixedSizeListArray.from_arrays(pa.array(values.ravel()), values.shape[1])
    return pa.array(values)
