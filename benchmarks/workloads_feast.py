"""Feast's `get_historical_features` on the feature benchmark's Parquet files, run by the python of
Feast's own venv (peers.py):

    python workloads_feast.py FEATURES.parquet ENTITY_ROWS.parquet OUT.parquet [created]

The offline store is Feast's `duckdb` one (through ibis): the default `file` store drops entity rows
with no earlier feature row (shared/PEERS.md). `feast apply` and reading the entity rows are not
timed; the retrieval is, up to a pandas DataFrame. Prints one JSON line; writes the result (with the
entity rows' `row_id`) to OUT for the caller to compare values.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings
from datetime import timedelta
from pathlib import Path

warnings.filterwarnings("ignore")
os.environ.setdefault("FEAST_USAGE", "False")
os.environ.setdefault("FEAST_TELEMETRY", "False")

FEATURES = [f"f{i}" for i in range(10)]
YAML = """project: bench
registry: {folder}/registry.db
provider: local
offline_store:
  type: duckdb
online_store:
  type: sqlite
  path: {folder}/online.db
entity_key_serialization_version: 3
"""


def main() -> None:
    features_path, entity_path, out_path = sys.argv[1:4]
    created = len(sys.argv) > 4 and sys.argv[4] == "created"
    import feast
    import pandas as pd
    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
    from feast.types import Float64

    with tempfile.TemporaryDirectory(prefix="feast-bench-") as folder:
        Path(folder, "feature_store.yaml").write_text(YAML.format(folder=folder))
        entity = Entity(name="entity", join_keys=["entity_id"], value_type=ValueType.INT64)
        source = FileSource(name="features", path=features_path, timestamp_field="event_timestamp",
                            created_timestamp_column="created" if created else "")
        view = FeatureView(name="fv", entities=[entity], ttl=timedelta(days=3650), online=False, source=source,
                           schema=[Field(name=f, dtype=Float64) for f in FEATURES])
        store = FeatureStore(repo_path=folder)
        start = time.perf_counter()
        store.apply([entity, view])
        apply_s = time.perf_counter() - start
        rows = pd.read_parquet(entity_path)
        rows["row_id"] = range(len(rows))
        rows["event_timestamp"] = pd.to_datetime(rows["event_timestamp"], utc=True)
        times = []
        for _ in range(int(os.environ.get("FEAST_REPEATS", "2"))):
            start = time.perf_counter()
            frame = store.get_historical_features(entity_df=rows, features=[f"fv:{f}" for f in FEATURES]).to_df()
            times.append(time.perf_counter() - start)
            print(f"[feast] get_historical_features {times[-1]:.2f} s, {len(frame)} rows", file=sys.stderr, flush=True)
        frame[["row_id", *FEATURES]].sort_values("row_id").to_parquet(out_path, index=False)
    print(json.dumps({"version": feast.__version__, "apply_s": apply_s, "retrieval_s": times, "rows": len(frame)}))


if __name__ == "__main__":
    main()
