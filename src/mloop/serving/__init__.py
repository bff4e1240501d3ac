"""Serving models: online over HTTP (`serve`, `create_app`) with micro-batching, hot swap, canary
and shadow traffic; deployments as recorded; the prediction log, ground-truth labels and
explaining a prediction.

    mloop.serve("fraud@champion", port=8080)      # what `mloop serve` runs
    mloop.score_batch("fraud@champion", "in.parquet", "out.parquet")  # batch scoring, in chunks
    mloop.score_stream("fraud@champion", "redis://…?stream=tx", "redis://…?stream=scores")
    mloop.predictions("fraud", with_labels=True)  # the log as a DataFrame (DuckDB over DB + Parquet)
    mloop.log_labels(frame)                       # ground truth, by request id or entity + time
    mloop.explain_prediction(request_id)          # version, run, training data, features, label

Importing this package imports no web framework; `create_app` and `serve` need the `serve` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from mloop.stores.workspace import Workspace

from mloop.serving.batch import BatchScoringResult, score_batch
from mloop.serving.batch_step import batch_scoring_step
from mloop.serving.deployments import get_deployment, list_deployments
from mloop.serving.explain import PredictionExplanation, explain_prediction
from mloop.serving.labels import LabelsResult, log_labels
from mloop.serving.options import BatchingOptions, ServeOptions
from mloop.serving.prediction_batch import PredictionBatch
from mloop.serving.prediction_log import LoggerStats, PredictionLogger
from mloop.serving.prediction_query import predictions
from mloop.serving.stream import StreamScorer, StreamStats, score_stream
from mloop.serving.traffic import DeploymentTraffic, deployment_traffic

__all__ = ["BatchScoringResult", "BatchingOptions", "DeploymentTraffic", "LabelsResult", "LoggerStats", "PredictionBatch", "PredictionExplanation",
           "PredictionLogger", "ServeOptions", "batch_scoring_step", "create_app", "deployment_traffic", "explain_prediction", "get_deployment",
           "list_deployments", "log_labels", "predictions", "score_batch", "score_stream", "serve",
           "StreamScorer", "StreamStats"]


def create_app(model_ref: str, options: ServeOptions | None = None, workspace: Workspace | None = None) -> FastAPI:
    from mloop.serving.app import create_app as create
    from mloop.serving.server import check_serving_extra

    check_serving_extra()
    return create(model_ref, options, workspace)


def serve(model_ref: str, *, host: str = "127.0.0.1", port: int = 8080, workers: int = 1,
          options: ServeOptions | None = None, log_level: str = "info") -> None:
    """Serve `model_ref` over HTTP until interrupted (what `mloop serve` runs)."""
    from mloop.serving.server import serve as run

    run(model_ref, host=host, port=port, workers=workers, options=options, log_level=log_level)
