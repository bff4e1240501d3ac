"""What the routes share: the router (which version answers), the metrics, the options; and
predicting a request's rows, batched or as they come, with shadow copies on the side."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import time
import uuid
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mloop.core.errors import ValidationError
from mloop.serving.answered import Answered, LoggedModel
from mloop.serving.batching import QueueFullError
from mloop.serving.http import SignatureMismatch
from mloop.serving.metrics import ServerMetrics
from mloop.serving.models import Job, Predictions, ServedModel
from mloop.serving.options import ServeOptions
from mloop.serving.protocol import ParsedInput
from mloop.serving.router import Router, Slot, SwapEvent

if TYPE_CHECKING:
    from mloop.serving.prediction_log import PredictionLogger
    from mloop.serving.prediction_writer import ProcessPredictionLogger
    from mloop.stores.workspace import Workspace

log = logging.getLogger("mloop.serving")


class ServingState:
    """What the routes share: the router, the metrics, the options."""

    def __init__(self, ref: str, options: ServeOptions, workspace: Workspace) -> None:
        self.ref, self.options, self.workspace = ref, options, workspace
        self.metrics = ServerMetrics(options.batching.max_batch_size)
        self.router = Router(ref, workspace, options.batching, canary=options.canary,
                             canary_percent=options.canary_percent, shadow=options.shadow,
                             shadow_percent=options.shadow_percent, on_batch=self._observe, on_swap=self._swapped,
                             require_ready=options.require_ready, on_predicted=self.record)
        self.started = time.time()
        self.shadow_tasks: set[asyncio.Task[Any]] = set()
        self.logger: PredictionLogger | ProcessPredictionLogger | None = None
        # request ids: a random prefix per process and a counter (no entropy to draw per request)
        self._id_prefix = uuid.uuid4().hex[:16]
        self._ids = itertools.count(1)
        #: each served version as its log rows name it (weak: a swapped-out version is let go)
        self._logged: weakref.WeakKeyDictionary[ServedModel, LoggedModel] = weakref.WeakKeyDictionary()

    def new_request_id(self) -> str:
        return f"{self._id_prefix}{next(self._ids):08x}"

    def open_log(self) -> None:
        if self.options.log_predictions:
            from mloop.serving.prediction_log import PredictionLogger
            from mloop.serving.prediction_writer import ProcessPredictionLogger

            # busy servers flush big batches to Parquet files; quiet ones a few rows to the database
            options: dict[str, Any] = {"flush_rows": 8192, "flush_seconds": 2.0, "spill_rows": 512,
                       "on_flush": self.metrics.observe_log}
            try:  # encoding and writing in a process of its own: off this one's interpreter lock
                self.logger = ProcessPredictionLogger(self.workspace, **options)
            except OSError as exc:
                log.warning("prediction log: no writer process (%s); writing in the server's process", exc)
                self.logger = PredictionLogger(self.workspace, **options)

    def close_log(self) -> None:
        if self.logger is not None:
            self.logger.close()

    def log_labels(self, labels: list[dict[str, Any]]) -> Any:
        """Store ground truth by request id, after writing what the log holds (so it can match)."""
        import pandas as pd

        from mloop.serving.labels import log_labels

        if self.logger is not None:
            self.logger.flush()
        frame = pd.DataFrame({"request_id": [str(item["request_id"]) for item in labels],
                              "label": [item["label"] for item in labels]})
        return log_labels(frame, workspace=self.workspace)

    def record(self, model: ServedModel, jobs: Sequence[Job], outputs: Predictions) -> None:
        """Hand answered requests to the prediction log: one entry per micro-batch. Called by the
        batching thread right after the answers left (or once per unbatched request): only the
        times are taken here; the log's writer makes the entry (answered.Answered) when it flushes."""
        if self.logger is not None:
            logged = self._logged.get(model)
            if logged is None:
                logged = self._logged[model] = self._logged_model(model)
            self.logger.log_later(Answered(logged, jobs, outputs, time.perf_counter(), time.time()), len(jobs))

    def _logged_model(self, model: ServedModel) -> LoggedModel:
        columns = None
        if model.array_input and model.signature is not None:
            columns = tuple(model.signature.columns)
        join_keys = tuple(model.enrichment.join_keys) if model.enrichment is not None else None
        return LoggedModel(model.version.name, model.version.version, model.fingerprint, model.role,
                           self.options.deployment_id, columns, join_keys)

    def _observe(self, model: ServedModel, stats: Any) -> None:
        self.metrics.observe_batch(model.ref, stats)

    def _swapped(self, event: SwapEvent) -> None:
        self.metrics.swaps.labels(event.role, str(event.switched).lower()).inc()
        if self.options.deployment_id:
            from mloop.serving.deployments import record_swap

            try:
                record_swap(self.options.deployment_id, event, self.workspace)
            except Exception as exc:  # the switch happened; its record is lost, the log keeps it
                log.warning("cannot record the swap to %s: %s", event.to_version, exc)

    async def predict(self, slot: Slot, parsed: ParsedInput, request_id: str,
                      started: float) -> tuple[ServedModel, Predictions]:
        """Predict a request's rows on `slot`: a few rows checked field by field and micro-batched,
        larger requests as they come; every answer goes to the prediction log."""
        model = slot.model
        # a few rows take the record path (checked field by field; batched unless --no-batching)
        few = parsed.rows < self.options.batching.max_batch_size and model.checks_records
        if few and parsed.records is None and parsed.columns:  # a few rows as columns (v2)
            names = list(parsed.columns)
            parsed = ParsedInput(records=[dict(zip(names, values, strict=True))
                                         for values in zip(*parsed.columns.values(), strict=True)])
        if parsed.records is not None and few:
            problems = _record_problems(model, parsed.records)
            if problems:
                raise SignatureMismatch(model.ref, problems)
            self.router.remember(parsed.records[0])
            job = Job(parsed.records, request_id, started)
            try:
                model, outputs = await self.router.predict_records(slot, job)
            except QueueFullError:
                self.metrics.rejected.labels(model.ref).inc()
                raise
            if model.batcher is None:  # batched answers were logged by the batching thread
                self.record(model, [job], outputs)
            return model, outputs
        data = parsed.records if parsed.records is not None else parsed.columns
        try:
            frame = model.check_frame(data)
        except ValidationError as exc:
            raise SignatureMismatch(model.ref, [str(exc)]) from None
        outputs = await asyncio.get_running_loop().run_in_executor(None, model.predict_frame, frame)
        outputs = dataclasses.replace(outputs, inputs=frame)
        records = parsed.records if parsed.records is not None else [{}] * len(frame)  # ids, latency, keys
        self.record(model, [Job(records, request_id, started)], outputs)
        return model, outputs

    def shadow(self, key: str | None, parsed: ParsedInput, request_id: str) -> None:
        """Send a copy to the shadow version, if this request is in its share; its answer is only counted."""
        slot = self.router.shadow_copy(key)
        if slot is None:
            return
        task = asyncio.ensure_future(self._shadow(slot, parsed, request_id))
        self.shadow_tasks.add(task)
        task.add_done_callback(self.shadow_tasks.discard)

    async def _shadow(self, slot: Slot, parsed: ParsedInput, request_id: str) -> None:
        try:
            model, _ = await self.predict(slot, parsed, request_id, time.perf_counter())
            self.metrics.predictions.labels(model.ref, "shadow").inc(parsed.rows)
        except Exception as exc:  # never reaches the caller: counted and logged
            self.metrics.errors.labels("shadow").inc()
            log.debug("shadow prediction on %s failed: %s", slot.ref, exc)

    def metadata(self) -> dict[str, Any]:
        primary = self.router.primary.model
        signature = primary.signature
        roles = {slot.role: {"follows": slot.ref, "version": slot.model.ref, "percent": slot.percent,
                             "training_fingerprint": slot.model.fingerprint} for slot in self.router.slots}
        return {
            "model": self.router.name, "follows": self.ref, "version": primary.ref,
            "deployment_id": self.options.deployment_id,
            "versions": roles, "signature": signature.to_dict() if signature else None,
            "lineage": primary.version.lineage, "training_fingerprint": primary.fingerprint,
            "batching": {"enabled": self.options.batching.enabled,
                         "max_batch_size": self.options.batching.max_batch_size,
                         "max_wait_ms": self.options.batching.max_wait_ms,
                         "max_queue": primary.batcher.max_queue if primary.batcher else None},
            "swaps": [event.to_dict() for event in self.router.swaps],
            "started_at": self.started,
        }


def _record_problems(model: ServedModel, records: list[dict[str, Any]]) -> list[str]:
    if len(records) == 1:
        return model.record_problems(records[0])
    return [f"record {index}: {problem}" for index, record in enumerate(records)
            for problem in model.record_problems(record)]
