"""A minimal FastAPI app, as a user would write one: a pydantic body, `predict_proba` per request.

Runs in its own venv (serving_peers.py): uvicorn fastapi_app:app --workers 1; the model is the
joblib file named by MLOOP_BENCH_MODEL.
"""

from __future__ import annotations

import os
import warnings

import joblib
import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel

# fitted on a DataFrame (mloop serves records), predicted on arrays here
warnings.filterwarnings("ignore", message="X does not have valid feature names")
model = joblib.load(os.environ["MLOOP_BENCH_MODEL"])
app = FastAPI()


class Row(BaseModel):
    features: list[float]


@app.get("/health")
def health() -> dict:
    return {"status": "ok"}


@app.post("/predict")
def predict(row: Row) -> dict:
    return {"probability": float(model.predict_proba(np.asarray([row.features]))[0, 1])}
