"""BentoML services for the benchmark: the same model with adaptive batching and without.

Runs in its own venv (serving_peers.py): bentoml serve bentoml_service:Batching (or :Single),
one worker; the model is the joblib file named by MLOOP_BENCH_MODEL. Batching keeps BentoML's
defaults (max batch size, max latency): what `batchable=True` gives a user.
"""

from __future__ import annotations

import os
import warnings

import bentoml
import joblib
import numpy as np

warnings.filterwarnings("ignore", message="X does not have valid feature names")


@bentoml.service(workers=1)
class Batching:
    def __init__(self) -> None:
        self.model = joblib.load(os.environ["MLOOP_BENCH_MODEL"])

    @bentoml.api(batchable=True)
    def predict(self, inputs: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(inputs)[:, 1]


@bentoml.service(workers=1)
class Single:
    def __init__(self) -> None:
        self.model = joblib.load(os.environ["MLOOP_BENCH_MODEL"])

    @bentoml.api
    def predict(self, inputs: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(inputs)[:, 1]
