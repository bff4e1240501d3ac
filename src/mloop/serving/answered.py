"""What a server hands to the prediction log for each micro-batch it answered, and how the log's
writer makes that into a PredictionBatch.

The batching thread only captures references (`Answered`: the version, the requests, the outputs,
two clock readings). The writer calls it when it flushes. A writer in another process receives it
pickled, in a compact form: the requests' ids, start times and row counts (and entity keys), not
the records they carried, whose values are in the input matrix already; and before that, the
micro-batches of a version that reads one float matrix are joined (`pack`: one `Answers` with one
array per output instead of a few small ones per micro-batch, which cost ~5 µs each to pickle).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mloop.serving.models import Job, Predictions
    from mloop.serving.prediction_batch import PredictionBatch


@dataclass(frozen=True)
class LoggedModel:
    """The version that answered, as each of its log rows names it: made once per served version."""

    name: str
    version: int
    fingerprint: str | None
    role: str
    deployment: str | None
    #: the names of the columns of an input given as one float matrix (None: the input is a frame)
    columns: tuple[str, ...] | None = None
    #: the entity keys of an enriched request, read from its records (None: not enriched)
    join_keys: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Requests:
    """The requests of a micro-batch, as the log needs them: ids, start times (perf_counter), rows
    each, and the entity keys' values per row of enriched requests."""

    ids: list[str]
    started: list[float]
    rows: list[int]
    keys: dict[str, list[Any]] | None = None

    @classmethod
    def of(cls, jobs: Sequence[Job], join_keys: Sequence[str] | None) -> Requests:
        keys = None
        if join_keys is not None:
            keys = {name: [record.get(name) for job in jobs for record in job.records] for name in join_keys}
        return cls([job.request_id for job in jobs], [job.started for job in jobs],
                   [len(job.records) for job in jobs], keys)


class Answered:
    """A micro-batch answered at `answered` (perf_counter) / `at` (epoch seconds); calling it makes
    the log's PredictionBatch."""

    __slots__ = ("model", "requests", "outputs", "answered", "at")

    def __init__(self, model: LoggedModel, requests: Sequence[Job] | Requests, outputs: Predictions,
                 answered: float, at: float) -> None:
        self.model, self.requests, self.outputs, self.answered, self.at = model, requests, outputs, answered, at

    def __len__(self) -> int:
        return len(self.requests.ids) if isinstance(self.requests, Requests) else len(self.requests)

    def __reduce__(self) -> tuple[Any, ...]:
        requests = self.requests
        if not isinstance(requests, Requests):
            requests = Requests.of(requests, self.model.join_keys)
        return Answered, (self.model, requests, self.outputs, self.answered, self.at)

    def __call__(self) -> PredictionBatch:
        from mloop.serving.prediction_batch import SHADOW_SUFFIX, MatrixColumns, PredictionBatch

        model, outputs = self.model, self.outputs
        requests = self.requests
        if not isinstance(requests, Requests):
            requests = Requests.of(requests, model.join_keys)
        ids: list[str] = []
        latency: list[float] = []
        for request_id, started, rows in zip(requests.ids, requests.started, requests.rows, strict=True):
            ids += [request_id] if rows == 1 else [f"{request_id}:{index}" for index in range(rows)]
            latency += [(self.answered - started) * 1000] * rows
        if model.role == "shadow":
            ids = [one + SHADOW_SUFFIX for one in ids]
        answers: dict[str, Any] = {"prediction": outputs.prediction}
        if outputs.probabilities is not None:
            answers["probabilities"] = outputs.probabilities
        inputs = outputs.inputs
        if model.columns is not None:  # one float array: named, split by the writer
            inputs = MatrixColumns(inputs, model.columns)
        return PredictionBatch(
            request_ids=ids, model=model.name, version=model.version, inputs=inputs, outputs=answers,
            time=datetime.fromtimestamp(self.at, timezone.utc), latency_ms=latency,
            training_fingerprint=model.fingerprint, deployment=model.deployment, role=model.role,
            entity_keys=requests.keys, classes=outputs.classes)


def pack(items: Sequence[Answered]) -> list[Answered | Answers]:
    """`items` with those of each version that reads a float matrix joined into one `Answers` (in
    the order of their first micro-batch); the others as they were."""
    groups: dict[LoggedModel, list[Answered]] = {}
    packed: list[Any] = []
    for item in items:
        if item.model.columns is not None:
            group = groups.get(item.model)
            if group is None:
                group = groups[item.model] = []
                packed.append(group)
            group.append(item)
        else:
            packed.append(item)
    return [Answers.join(item) if isinstance(item, list) else item for item in packed]


class Answers:
    """The micro-batches of one version answered since the last flush, joined: per request its
    id, start time, row count, when its micro-batch was answered (perf_counter and epoch), and
    the outputs and input matrix of all their rows, one array each."""

    __slots__ = ("model", "requests", "answered", "at", "prediction", "probabilities", "classes", "inputs")

    def __init__(self, model: LoggedModel, requests: Requests, answered: Any, at: Any, prediction: Any,
                 probabilities: Any, classes: Any, inputs: Any) -> None:
        self.model, self.requests, self.answered, self.at = model, requests, answered, at
        self.prediction, self.probabilities, self.classes, self.inputs = prediction, probabilities, classes, inputs

    @classmethod
    def join(cls, group: list[Answered]) -> Answers:
        import numpy as np

        ids: list[str] = []
        started: list[float] = []
        rows: list[int] = []
        answered: list[float] = []
        at: list[float] = []
        for item in group:
            requests = item.requests
            if isinstance(requests, Requests):
                ids += requests.ids
                started += requests.started
                rows += requests.rows
                count = len(requests.ids)
            else:
                ids += [job.request_id for job in requests]
                started += [job.started for job in requests]
                rows += [len(job.records) for job in requests]
                count = len(requests)
            answered += [item.answered] * count
            at += [item.at] * count
        outputs = [item.outputs for item in group]
        probabilities = None
        if all(output.probabilities is not None for output in outputs):
            probabilities = np.concatenate([output.probabilities for output in outputs])
        return cls(group[0].model, Requests(ids, started, rows), np.asarray(answered), np.asarray(at),
                   np.concatenate([output.prediction for output in outputs]), probabilities,
                   outputs[0].classes, np.concatenate([output.inputs for output in outputs]))

    def __len__(self) -> int:
        return len(self.requests.ids)

    def __reduce__(self) -> tuple[Any, ...]:
        return Answers, tuple(getattr(self, name) for name in self.__slots__)

    def __call__(self) -> PredictionBatch:
        import numpy as np

        from mloop.serving.prediction_batch import SHADOW_SUFFIX, MatrixColumns, PredictionBatch

        model, requests = self.model, self.requests
        counts = np.asarray(requests.rows)
        if (counts == 1).all():
            ids = list(requests.ids)
        else:
            ids = []
            for request_id, rows in zip(requests.ids, requests.rows, strict=True):
                ids += [request_id] if rows == 1 else [f"{request_id}:{index}" for index in range(rows)]
        if model.role == "shadow":
            ids = [one + SHADOW_SUFFIX for one in ids]
        latency = np.repeat((self.answered - np.asarray(requests.started)) * 1000, counts)
        times = np.repeat((self.at * 1e6).astype("int64").astype("datetime64[us]"), counts)
        answers: dict[str, Any] = {"prediction": self.prediction}
        if self.probabilities is not None:
            answers["probabilities"] = self.probabilities
        assert model.columns is not None
        return PredictionBatch(
            request_ids=ids, model=model.name, version=model.version, inputs=MatrixColumns(self.inputs, model.columns),
            outputs=answers, time=times, latency_ms=latency, training_fingerprint=model.fingerprint,
            deployment=model.deployment, role=model.role, classes=self.classes)
