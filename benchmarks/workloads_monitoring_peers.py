"""Monitoring workloads run by a peer tool in its own venv (peers.py); prints one JSON document.

    python workloads_monitoring_peers.py nannyml cbpe REFERENCE.parquet ANALYSIS.parquet

CBPE (confidence-based performance estimation) of a binary classifier: fitted on the reference
(y_true, y_pred_proba, y_pred: NannyML calibrates the scores on it), then estimating ROC AUC and
accuracy of the analysis rows (y_pred_proba, y_pred) as one chunk. The DataFrames are read
before the clock starts; the time is fit + estimate.
"""

from __future__ import annotations

import argparse
import json
import time


def nannyml_cbpe(reference, analysis) -> dict:  # noqa: ANN001
    import nannyml as nml

    estimator = nml.CBPE(y_pred_proba="y_pred_proba", y_pred="y_pred", y_true="y_true",
                         problem_type="classification_binary", metrics=["roc_auc", "accuracy"], chunk_number=1)
    estimator.fit(reference)
    frame = estimator.estimate(analysis).to_df()
    return {metric: float(frame[(metric, "value")].iloc[-1]) for metric in ("roc_auc", "accuracy")}


def main() -> None:
    import pandas as pd

    parser = argparse.ArgumentParser()
    parser.add_argument("tool", choices=["nannyml"])
    parser.add_argument("workload", choices=["cbpe"])
    parser.add_argument("paths", nargs=2)
    args = parser.parse_args()
    reference, analysis = pd.read_parquet(args.paths[0]), pd.read_parquet(args.paths[1])
    start = time.perf_counter()
    found = nannyml_cbpe(reference, analysis)
    seconds = time.perf_counter() - start
    from importlib import metadata

    print(json.dumps({"seconds": seconds, **found, "rows": len(analysis), "version": metadata.version("nannyml")}))


if __name__ == "__main__":
    main()
