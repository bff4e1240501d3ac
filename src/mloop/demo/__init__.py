"""The demos: `mloop demo` tells the whole loop (story.py) on a fraud model; churn.py is a smaller
pipeline (validation, caching, the blessing gate) the README's scale-out section runs on Dask.

    mloop run mloop.demo:churn_training -p data=data/customers.parquet
"""

from __future__ import annotations

from mloop.demo.churn import churn_training, make_customers
from mloop.demo.workspace import demo_workspace

__all__ = ["churn_training", "demo_workspace", "make_customers"]
