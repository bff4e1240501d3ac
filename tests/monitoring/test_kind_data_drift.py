from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import monitoring_models as mm
import pyarrow.parquet as pq

from mloop.monitoring.kinds import kind_function
from mloop.monitoring.model import Monitor
from mloop.serving.prediction_batch import TYPED_KEY
from mloop.stores.workspace import get_workspace

END = mm.START + timedelta(hours=1)


def test_only_the_shifted_columns_drift(workspace: Path) -> None:
    version = mm.register()
    # 2000 rows in typed Parquet segments, 500 in the database: both are read
    mm.log(version, mm.frame(2500, seed=5, shift={"x0": 0.5, "x2": -0.6}))
    segments = get_workspace().predictions.segments(model="clf")
    assert segments and all(pq.read_schema(s.path).metadata[TYPED_KEY] == b"1" for s in segments)

    result = kind_function("data_drift")(Monitor(name="drift", kind="data_drift", model="clf"),
                                         get_workspace(), mm.START, END)

    assert result.status == "failed"
    assert result.rows == 2500
    assert sorted(result.values["drifted"]) == ["x0", "x2"]
    assert result.value == 2 / 5  # x0..x3 and country compared
    assert result.summary.startswith("2 of 5 columns drifted: x2 (wasserstein/std")
    assert mm.stored_alike(result)


def test_same_distribution_passes_and_an_empty_window_has_no_data(workspace: Path) -> None:
    version = mm.register()
    mm.log(version, mm.frame(1500, seed=7), spill_rows=10**6)  # database rows only
    evaluate = kind_function("data_drift")
    monitor = Monitor(name="drift", kind="data_drift", model="clf")

    result = evaluate(monitor, get_workspace(), mm.START, END)
    assert (result.status, result.value, result.values["drifted"]) == ("passed", 0.0, [])

    later = evaluate(monitor, get_workspace(), END, END + timedelta(hours=1))
    assert later.status == "no_data" and later.rows == 0


def test_each_version_is_compared_with_its_own_training_data(workspace: Path) -> None:
    first = mm.register(seed=0)
    second = mm.register(seed=1)
    mm.log(first, mm.frame(1000, seed=11))
    mm.log(second, mm.frame(1000, seed=12, shift={"x3": 0.8}), start=mm.START + timedelta(minutes=30))

    result = kind_function("data_drift")(Monitor(name="drift", kind="data_drift", model="clf",
                                                 columns=("x0", "x3")), get_workspace(), mm.START, END)

    assert result.values["drifted"] == ["x3"]
    assert result.values["versions"]["1"]["drifted"] == []
    assert result.values["versions"]["2"]["drifted"] == ["x3"]
    assert set(result.values["columns"]) == {"x0", "x3"}
