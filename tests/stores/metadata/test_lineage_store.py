"""LineageStore contract: artifact records, lineage edges, data fingerprints; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from store_records import at, finish, make_artifact, make_run, make_step, step_run

import mloop
from mloop import pipeline, step
from mloop.core.errors import NotFoundError
from mloop.stores.metadata import LineageEdge, MetadataStores


def test_data_fingerprints(store: MetadataStores) -> None:
    first, second = make_artifact("v1").id, make_artifact("v2").id
    assert store.lineage.find_fingerprint("data/tx.parquet", "fp1") is None
    store.lineage.put_fingerprint("data/tx.parquet", "fp1", first)
    assert store.lineage.find_fingerprint("data/tx.parquet", "fp1") == first
    assert store.lineage.find_fingerprint("data/tx.parquet", "fp2") is None
    assert store.lineage.find_fingerprint("data/other.parquet", "fp1") is None
    store.lineage.put_fingerprint("data/tx.parquet", "fp2", second)  # the file changed: replaces the old entry
    assert store.lineage.find_fingerprint("data/tx.parquet", "fp2") == second
    assert store.lineage.find_fingerprint("data/tx.parquet", "fp1") is None



def test_finish_step_run_writes_artifacts_and_lineage_idempotently(store: MetadataStores) -> None:
    run = make_run()
    ingest, train = make_step(run, "ingest", status="running"), make_step(run, "train", status="running")
    store.runs.create_run(run, [ingest, train])
    raw, model = make_artifact("raw", created=1), make_artifact("model", created=2)
    ingest.ended_at = at(1)
    finish(store, ingest, {"output": raw})
    train.ended_at = at(2)
    finish(store, train, {"output": model}, inputs={"df": raw})
    finish(store, train, {"output": model}, inputs={"df": raw})  # a retried write changes nothing

    assert step_run(store, run.id, "train").status == "succeeded"
    assert step_run(store, run.id, "train").ended_at == at(2)
    assert store.lineage.get_artifact(model.id) == model
    assert store.lineage.get_artifact(model.id[:10]) == model
    assert [a.id for a in store.lineage.list_artifacts()] == [model.id, raw.id]
    assert [a.id for a in store.lineage.list_artifacts(limit=1)] == [model.id]
    assert set(store.lineage.step_run_edges([train.id])) == {
        LineageEdge(train.id, "out", "output", model.id, run.id),
        LineageEdge(train.id, "in", "df", raw.id, run.id),
    }
    assert set(store.lineage.artifact_edges([raw.id])) == {
        LineageEdge(ingest.id, "out", "output", raw.id, run.id),
        LineageEdge(train.id, "in", "df", raw.id, run.id),
    }
    assert store.lineage.step_run_edges([]) == [] and store.lineage.artifact_edges([]) == []



def test_record_artifact_is_idempotent(store: MetadataStores) -> None:
    artifact = make_artifact("logged")
    store.lineage.record_artifact(artifact)
    store.lineage.record_artifact(artifact)
    assert store.lineage.list_artifacts() == [artifact]
    with pytest.raises(NotFoundError, match="mloop artifacts list"):
        store.lineage.get_artifact("0000ffff")



def test_get_artifacts_by_exact_ids(store: MetadataStores) -> None:
    first, second = make_artifact("first"), make_artifact("second")
    store.lineage.record_artifact(first)
    store.lineage.record_artifact(second)
    assert store.lineage.get_artifacts([first.id, second.id, "0" * 64]) == {first.id: first, second.id: second}
    assert store.lineage.get_artifacts([first.id[:10]]) == {}  # no prefix matching here
    assert store.lineage.get_artifacts([]) == {}


def test_summary_keys_keep_their_order(store: MetadataStores) -> None:
    # PostgreSQL's jsonb sorted keys (shortest first): a frame's column list came back reordered
    columns = {"zeta_score": "double", "alpha": "int64", "mid": "string", "b": "bool"}
    artifact = make_artifact("frame", summary={"shape": [3, 4], "columns": columns})
    store.lineage.record_artifact(artifact)
    assert list(store.lineage.get_artifact(artifact.id).summary["columns"]) == list(columns)
    assert list(store.lineage.list_artifacts()[0].summary) == ["shape", "columns"]


@step
def frame() -> pd.DataFrame:
    return pd.DataFrame({"zeta_score": [0.5], "alpha": [1], "mid": ["x"], "b": [True]})


@pipeline(name="ordered-columns")
def ordered() -> None:
    frame()


def test_artifacts_show_lists_columns_in_the_frame_order(workspace: Path) -> None:
    from typer.testing import CliRunner

    from mloop.cli.main import app

    artifact = ordered.run().output("frame")
    assert list(mloop.get_artifact(artifact.id).summary["columns"]) == ["zeta_score", "alpha", "mid", "b"]
    shown = CliRunner().invoke(app, ["artifacts", "show", artifact.id], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    positions = [shown.output.index(name) for name in ("zeta_score", "alpha", "mid")]
    assert positions == sorted(positions), shown.output
