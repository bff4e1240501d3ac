"""The serving peers: their venvs (see peers.py) and the packages each one is built with.

Every serving venv gets the scikit-learn that trained the benchmark model, so the pickled model
loads as it was saved (MLflow's venv is the one other benchmarks share; the correctness check
before timing catches a mismatch there).
"""

from __future__ import annotations

import sys

from peers import PACKAGES as SHARED_PACKAGES
from peers import peer_python


def _sklearn_pin() -> str:
    import sklearn

    return f"scikit-learn=={sklearn.__version__}"


def serving_packages() -> dict[str, list[str]]:
    sklearn = _sklearn_pin()
    return {
        "fastapi": ["fastapi", "uvicorn[standard]", sklearn],
        "bentoml": ["bentoml==1.4.39", sklearn],
        "litserve": ["litserve==0.2.19", "uvicorn[standard]", sklearn],
        "mlflow": SHARED_PACKAGES["mlflow"],
    }


def serving_python(tool: str) -> str | None:
    """The python of `tool`'s venv, built on first use; None (with a note) if it cannot be."""
    return peer_python(tool, serving_packages()[tool])


if __name__ == "__main__":  # python benchmarks/serving_peers.py [tool ...]: build the venvs now
    for name in sys.argv[1:] or list(serving_packages()):
        print(name, serving_python(name))
