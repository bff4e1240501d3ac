"""Model serving (issue 10): the prediction log, ground-truth labels, and explaining a prediction.

    logger = mloop.PredictionLogger()            # what the server, stream and batch scorers log to
    mloop.predictions("fraud", with_labels=True)  # the log as a DataFrame (DuckDB over DB + Parquet)
    mloop.log_labels(frame)                       # ground truth, by request id or entity + time
    mloop.explain_prediction(request_id)          # version, run, training data, features, label
"""

from __future__ import annotations

from mloop.serving.explain import PredictionExplanation, explain_prediction
from mloop.serving.labels import LabelsResult, log_labels
from mloop.serving.prediction_batch import PredictionBatch
from mloop.serving.prediction_log import LoggerStats, PredictionLogger
from mloop.serving.prediction_query import predictions

__all__ = ["LabelsResult", "LoggerStats", "PredictionBatch", "PredictionExplanation", "PredictionLogger",
           "explain_prediction", "log_labels", "predictions"]
