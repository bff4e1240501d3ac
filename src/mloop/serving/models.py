"""A model version ready to serve: loaded once, checked, with its own micro-batcher."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mloop.core.errors import ValidationError
from mloop.registry import adapters
from mloop.serving.batching import BatchStats, MicroBatcher
from mloop.serving.enrichment import Enrichment
from mloop.serving.options import BatchingOptions
from mloop.serving.records import RecordValidator

if TYPE_CHECKING:
    from mloop.registry.signature import Signature
    from mloop.registry.versions import ModelVersion


@dataclass(frozen=True)
class Predictions:
    """The outputs for some rows: `prediction` per row, `probabilities` (rows × classes) if any."""

    prediction: Any
    probabilities: Any | None
    classes: list[Any] | None
    #: the model's input when it is not what the request carried (after online enrichment)
    inputs: Any = None

    def rows(self, start: int, stop: int) -> Predictions:
        probabilities = None if self.probabilities is None else self.probabilities[start:stop]
        inputs = self.inputs
        if inputs is not None:
            inputs = inputs.iloc[start:stop] if hasattr(inputs, "iloc") else inputs[start:stop]
        return Predictions(self.prediction[start:stop], probabilities, self.classes, inputs)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"predictions": self.prediction.tolist()}
        if self.probabilities is not None:
            body["probabilities"] = self.probabilities.tolist()
            body["classes"] = self.classes
        return body


@dataclass(frozen=True)
class Job:
    """One request's rows waiting in the micro-batcher: its id, and when it arrived."""

    records: list[dict[str, Any]]
    request_id: str
    started: float


#: told about every micro-batch predicted: (the version, its jobs, the batch's outputs and inputs)
OnPredicted = Callable[["ServedModel", Sequence[Job], Predictions], None]


class ServedModel:
    """One version: `predict_frame` for a checked DataFrame, `predict_records` for a batch of
    single-row requests; `submit` queues one request's records into the micro-batcher."""

    def __init__(self, version: ModelVersion, options: BatchingOptions,
                 on_batch: Callable[[ServedModel, BatchStats], None] | None = None, *, role: str = "primary",
                 on_predicted: OnPredicted | None = None) -> None:
        started = time.perf_counter()
        self.version = version
        self.role = role
        self.on_predicted = on_predicted
        self.ref = version.ref
        self.loaded = version.load()
        self.model = self.loaded.model
        self.signature = version.signature
        self.validator = RecordValidator(self.signature) if self.signature is not None else None
        self.classes = adapters.classes(self.model)
        self.fingerprint = version.training_fingerprint
        self.has_probabilities = callable(getattr(self.model, "predict_proba", None)) and self.classes is not None
        self.enrichment = Enrichment.of(version, version._workspace)
        self.array_input = self.enrichment is None and self.validator is not None and self.validator.numeric and _reads_arrays(self.model, self.signature)
        self.load_seconds = time.perf_counter() - started
        self.batcher: MicroBatcher | None = None
        #: answered micro-batches not handed to `on_predicted` yet: the batcher's thread logs them
        #: after the answers are on their way (logging is off the requests' path)
        self._unlogged: list[tuple[Sequence[Job], Predictions]] = []
        self._on_batch = on_batch
        if options.enabled:
            self.batcher = MicroBatcher(
                self._predict_batch, max_batch_size=options.max_batch_size, max_wait_ms=options.max_wait_ms,
                max_queue=options.max_queue, name=self.ref, on_batch=self._after_batch)

    @property
    def checks_records(self) -> bool:
        """Whether single records are checked one by one (and so may be micro-batched)."""
        return self.validator is not None or self.enrichment is not None

    def check_frame(self, data: Any) -> Any:
        """`data` (records, columns or a DataFrame) as the model's input; ValidationError naming each bad field."""
        if self.enrichment is not None:
            from mloop.registry.signature import as_frame

            frame = as_frame(data)
            problems = self.enrichment.problems({name: None for name in frame.columns})
            if problems:
                raise ValidationError("; ".join(problems))
            return self.enrichment.frame(frame.to_dict(orient="records"))
        if self.signature is None:
            from mloop.registry.signature import as_frame

            return as_frame(data)
        return self.signature.validate(data, what=f"input for {self.ref}")

    def record_problems(self, record: dict[str, Any]) -> list[str]:
        if self.enrichment is not None:
            return self.enrichment.problems(record)
        return self.validator.problems(record) if self.validator is not None else []

    def predict_frame(self, frame: Any) -> Predictions:
        if self.has_probabilities:
            import numpy as np

            probabilities = np.asarray(self.model.predict_proba(frame))
            # the class of highest probability: what predict() gives, without a second pass
            prediction = np.asarray(self.classes, dtype=object if _mixed(self.classes) else None)[
                probabilities.argmax(axis=1)]
            return Predictions(prediction, probabilities, self.classes)
        import numpy as np

        return Predictions(np.asarray(adapters.predict(self.model, frame)), None, self.classes)

    def model_input(self, records: Sequence[dict[str, Any]]) -> Any:
        """Checked records as what the model reads: a float array (all-float signatures of plain
        estimators), the DataFrame after online enrichment, or a DataFrame in training order."""
        if self.enrichment is not None:
            return self.enrichment.frame(records)
        if self.array_input:
            assert self.validator is not None
            return self.validator.matrix(records)
        if self.validator is None:
            import pandas as pd

            return pd.DataFrame.from_records(list(records))
        return self.validator.frame(records)

    def predict_records(self, records: Sequence[dict[str, Any]]) -> Predictions:
        """The outputs for checked records, with the model's input kept (`inputs`, for the log)."""
        inputs = self.model_input(records)
        return dataclasses.replace(self.predict_frame(inputs), inputs=inputs)

    def _predict_batch(self, jobs: Sequence[Job]) -> list[Predictions | Exception]:
        try:
            outputs = self.predict_records([record for job in jobs for record in job.records])
        except ValidationError:
            if len(jobs) == 1:
                raise
            # one request's rows do not fit (e.g. a feature missing online): only that request fails
            return [_outcome(self._predict_batch, job) for job in jobs]
        if self.on_predicted is not None:
            if self.batcher is not None:
                self._unlogged.append((jobs, outputs))
            else:
                self.on_predicted(self, jobs, outputs)
        results: list[Predictions | Exception] = []
        start = 0
        for job in jobs:
            results.append(outputs.rows(start, start + len(job.records)))
            start += len(job.records)
        return results

    def _after_batch(self, stats: BatchStats) -> None:
        """Called by the batcher's thread once a batch's answers are delivered."""
        unlogged, self._unlogged = self._unlogged, []
        if self.on_predicted is not None:
            for jobs, outputs in unlogged:
                self.on_predicted(self, jobs, outputs)
        if self._on_batch is not None:
            self._on_batch(self, stats)

    def warm_up(self, records: list[dict[str, Any]] | None = None) -> Predictions:
        """One prediction (on `records`, else on a record made from the signature): proves the model
        answers; raises what the model raises."""
        if records:
            return self.predict_records(records)
        if self.signature is None:
            raise ValidationError(f"{self.ref} has no signature: cannot make a warm-up record")
        return self.predict_frame(self.signature.validate(sample_record(self.signature),
                                                          what=f"warm-up input for {self.ref}"))

    def close(self) -> None:
        if self.batcher is not None:
            self.batcher.close()


def sample_record(signature: Signature) -> dict[str, Any]:
    """A record the signature accepts (features included): the first known category, zero, false, a date."""
    record: dict[str, Any] = {}
    for spec in signature.inputs:
        if spec.categories:
            record[spec.name] = spec.categories[0]
        elif spec.type in ("float", "integer"):
            record[spec.name] = 0 if spec.type == "integer" else 0.0
        elif spec.type == "boolean":
            record[spec.name] = False
        elif spec.type == "datetime":
            record[spec.name] = "2000-01-01T00:00:00"
        else:
            record[spec.name] = ""
    return record


def _outcome(predict: Callable[[Sequence[Job]], list[Predictions | Exception]], job: Job
             ) -> Predictions | Exception:
    try:
        return predict([job])[0]
    except ValidationError as exc:
        return exc


def _reads_arrays(model: Any, signature: Any) -> bool:
    """A scikit-learn estimator (not a pipeline or column transformer, which may select columns by
    name) fitted on exactly the signature's columns reads a float array in that order the same as
    the DataFrame, without pandas' per-call cost (half the time of a one-row predict)."""
    module = type(model).__module__
    if not module.startswith("sklearn.") or module.startswith(("sklearn.pipeline", "sklearn.compose")):
        return False
    names = getattr(model, "feature_names_in_", None)
    return names is not None and [str(n) for n in names] == signature.columns


#: the warning a feature-named estimator gives for an array; the server orders columns itself
ARRAY_WARNING = "X does not have valid feature names"


def _mixed(classes: list[Any] | None) -> bool:
    return len({type(c) for c in classes or ()}) > 1
