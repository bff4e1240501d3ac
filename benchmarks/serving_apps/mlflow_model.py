"""Save the benchmark model as an MLflow model (its own format) for `mlflow models serve`:

    python mlflow_model.py MODEL.joblib SAMPLE.json OUTPUT_FOLDER

Runs in the MLflow venv (peers.py). skops serialization with the model's inner types trusted
(shared/PEERS.md); the pyfunc predicts with `predict_proba`, as the other servers do.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def main(model_path: str, sample_path: str, output: str) -> None:
    import joblib
    import mlflow.sklearn
    import pandas as pd
    import skops.io as sio
    from mlflow.models import infer_signature

    model = joblib.load(model_path)
    sample = pd.read_json(sample_path, orient="split")
    mlflow.sklearn.save_model(
        model, output, serialization_format="skops",
        skops_trusted_types=sio.get_untrusted_types(data=sio.dumps(model)),
        signature=infer_signature(sample, model.predict_proba(sample)), pyfunc_predict_fn="predict_proba")


if __name__ == "__main__":
    main(*sys.argv[1:4])
