"""A LitServe server for the benchmark, with its batching or without:

    python litserve_app.py PORT MAX_BATCH_SIZE BATCH_TIMEOUT_S

Runs in its own venv (serving_peers.py): one API server process, one CPU inference worker; the
model is the joblib file named by MLOOP_BENCH_MODEL. MAX_BATCH_SIZE 1 is LitServe without batching.
"""

from __future__ import annotations

import os
import sys
import warnings

import joblib
import litserve as ls
import numpy as np

warnings.filterwarnings("ignore", message="X does not have valid feature names")


class BenchAPI(ls.LitAPI):
    def setup(self, device: str) -> None:
        self.model = joblib.load(os.environ["MLOOP_BENCH_MODEL"])

    def decode_request(self, request: dict) -> list[float]:
        return request["features"]

    def batch(self, inputs: list[list[float]]) -> np.ndarray:
        return np.asarray(inputs)

    def predict(self, rows: np.ndarray | list[float]) -> np.ndarray | float:
        if isinstance(rows, np.ndarray):  # a batch
            return self.model.predict_proba(rows)[:, 1]
        return float(self.model.predict_proba(np.asarray([rows]))[0, 1])

    def unbatch(self, output: np.ndarray) -> list[float]:
        return output.tolist()

    def encode_response(self, output: float) -> dict:
        return {"probability": float(output)}


if __name__ == "__main__":
    port, max_batch_size, batch_timeout = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    api = BenchAPI(max_batch_size=max_batch_size, batch_timeout=batch_timeout)
    server = ls.LitServer(api, accelerator="cpu", devices=1, workers_per_device=1)
    server.run(host="127.0.0.1", port=port, num_api_servers=1, generate_client_file=False, log_level="warning")
