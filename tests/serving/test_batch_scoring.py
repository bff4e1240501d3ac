"""`mloop.score_batch` and `mloop.batch_scoring_step` through the Python API, on real files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import serving_models
from sklearn.ensemble import HistGradientBoostingClassifier

import mloop
from mloop import pipeline, step


def tx(n: int, seed: int = 3) -> pd.DataFrame:
    """Transactions with an id column first and the label left out."""
    frame = serving_models.transactions(n, seed).drop(columns="y")
    frame.insert(0, "tx_id", [f"tx-{seed}-{i}" for i in range(n)])
    return frame


def expected(version: mloop.ModelVersion, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """What the model itself answers for `frame` in one call: predictions and probabilities."""
    model = version.load().model
    features = frame[serving_models.COLUMNS]
    return model.predict(features), model.predict_proba(features)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "mloop-tmp" in p.name)


def test_scores_are_the_models_own_predictions_in_input_order_with_ids(fraud: mloop.ModelVersion,
                                                                       tmp_path: Path) -> None:
    frame = tx(50)
    frame.to_parquet(tmp_path / "tx.parquet", row_group_size=9)
    result = mloop.score_batch("fraud@champion", tmp_path / "tx.parquet", tmp_path / "scores.parquet",
                               id_column="tx_id", chunk_rows=7)

    out = pd.read_parquet(tmp_path / "scores.parquet")
    predictions, probabilities = expected(fraud, frame)
    assert list(out.columns) == ["tx_id", "prediction", "probability_0", "probability_1", "model_version"]
    assert out["tx_id"].tolist() == frame["tx_id"].tolist()
    np.testing.assert_array_equal(out["prediction"].to_numpy(), predictions)
    np.testing.assert_allclose(out[["probability_0", "probability_1"]].to_numpy(), probabilities, rtol=1e-12)
    assert set(out["model_version"]) == {"fraud/1"}
    assert (result.rows, result.chunks, result.model_version, result.model_ref) == (50, 8, "fraud/1", "fraud@champion")
    assert result.training_fingerprint == fraud.training_fingerprint is not None
    assert result.output == str((tmp_path / "scores.parquet").resolve())
    assert result.rows_per_second > 0 and result.to_dict()["rows"] == 50
    metadata = pq.read_schema(tmp_path / "scores.parquet").metadata
    assert metadata[b"mloop.model_version"] == b"fraud/1"
    assert metadata[b"mloop.model_ref"] == b"fraud@champion"
    assert metadata[b"mloop.training_fingerprint"].decode() == fraud.training_fingerprint
    assert metadata[b"mloop.model_artifact"].decode() == fraud.artifact_id
    assert leftovers(tmp_path) == []


def test_chunk_size_does_not_change_the_output(fraud: mloop.ModelVersion, tmp_path: Path) -> None:
    tx(40).to_parquet(tmp_path / "tx.parquet", row_group_size=6)
    tables = []
    for rows in (1, 13, 40, 1000):
        result = mloop.score_batch("fraud/1", str(tmp_path / "tx.parquet"), tmp_path / f"out-{rows}.parquet",
                                   id_column="tx_id", chunk_rows=rows)
        assert result.chunks == -(-40 // rows)
        tables.append(pd.read_parquet(tmp_path / f"out-{rows}.parquet"))
    for table in tables[1:]:  # probabilities within rounding: BLAS sums a 1-row chunk in another order
        pd.testing.assert_frame_equal(table, tables[0], check_exact=False, rtol=1e-12)
        assert table[["tx_id", "prediction", "model_version"]].equals(tables[0][["tx_id", "prediction", "model_version"]])


def test_a_folder_and_a_glob_of_files_are_scored_in_file_order(fraud: mloop.ModelVersion, tmp_path: Path) -> None:
    parts = [tx(12, seed=s) for s in (1, 2, 3)]
    (tmp_path / "in").mkdir()
    for number, part in enumerate(parts):
        part.assign(extra=1.0).to_parquet(tmp_path / "in" / f"part-{number}.parquet", row_group_size=5)
    whole = pd.concat(parts, ignore_index=True)
    predictions, _ = expected(fraud, whole)

    for source in (tmp_path / "in", str(tmp_path / "in" / "part-*.parquet")):
        mloop.score_batch("fraud@champion", source, tmp_path / "out.parquet", id_column="tx_id", chunk_rows=10)
        out = pd.read_parquet(tmp_path / "out.parquet")
        assert out["tx_id"].tolist() == whole["tx_id"].tolist()  # the extra column is not passed to the model
        np.testing.assert_array_equal(out["prediction"].to_numpy(), predictions)


def test_csv_input(fraud: mloop.ModelVersion, tmp_path: Path) -> None:
    frame = tx(30)
    frame.to_csv(tmp_path / "tx.csv", index=False)
    result = mloop.score_batch("fraud@champion", tmp_path / "tx.csv", tmp_path / "out.parquet", id_column="tx_id",
                               chunk_rows=8)
    out = pd.read_parquet(tmp_path / "out.parquet")
    predictions, probabilities = expected(fraud, pd.read_csv(tmp_path / "tx.csv"))
    assert (result.rows, result.chunks) == (30, 4)
    assert out["tx_id"].tolist() == frame["tx_id"].tolist()
    np.testing.assert_array_equal(out["prediction"].to_numpy(), predictions)
    np.testing.assert_allclose(out["probability_1"].to_numpy(), probabilities[:, 1])


def test_a_dataframe_with_kept_columns_and_no_probabilities(fraud: mloop.ModelVersion, tmp_path: Path) -> None:
    frame = tx(20)
    mloop.score_batch("fraud@champion", frame, tmp_path / "out.parquet", keep_columns=["country", "tx_id"],
                      probabilities=False, chunk_rows=6)
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert list(out.columns) == ["country", "tx_id", "prediction", "model_version"]
    assert out["country"].tolist() == frame["country"].tolist()
    np.testing.assert_array_equal(out["prediction"].to_numpy(), expected(fraud, frame)[0])


def test_tree_ensembles_predict_the_class_of_highest_probability(sqlite_workspace: Path) -> None:
    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.standard_normal((300, 4)), columns=[f"f{i}" for i in range(4)])
    labels = np.where(features["f0"] + 0.5 * features["f1"] > 0.2, "fraud", "ok")
    model = HistGradientBoostingClassifier(max_iter=10).fit(features, labels)
    mloop.register_model("trees", model, training_data=features)
    mloop.score_batch("trees/1", features, sqlite_workspace / "out.parquet", chunk_rows=64)
    out = pd.read_parquet(sqlite_workspace / "out.parquet")
    assert out["prediction"].tolist() == model.predict(features).tolist()
    assert list(out.columns)[1:3] == ["probability_fraud", "probability_ok"]
    np.testing.assert_allclose(out["probability_fraud"].to_numpy(), model.predict_proba(features)[:, 0])


def test_the_alias_is_resolved_when_scoring(fraud: mloop.ModelVersion, tmp_path: Path) -> None:
    serving_models.register_fraud(seed=4, c=0.01, alias="champion")
    result = mloop.score_batch("fraud@champion", tx(10), tmp_path / "out.parquet")
    assert result.model_version == "fraud/2"
    assert set(pd.read_parquet(tmp_path / "out.parquet")["model_version"]) == {"fraud/2"}


@pytest.mark.parametrize(("change", "message"), [
    ("missing", "does not match the signature of fraud/1: missing column(s) 'age'"),
    ("id", "has no column 'order_id' (the id column)"),
    ("output_is_input", "is also the input; write the scores to another file"),
    ("no_folder", "does not exist; create it first"),
    ("empty", "has no rows; there is nothing to score"),
    ("chunk", "chunk_rows must be a whole number of rows above 0, got 0"),
    ("clash", "would clash with an output column of the same name"),
    ("unknown", "does not exist; give a Parquet or CSV file"),
])
def test_bad_requests_fail_before_any_output(fraud: mloop.ModelVersion, tmp_path: Path, change: str,
                                              message: str) -> None:
    frame = tx(10)
    folder = tmp_path / "data"
    folder.mkdir()
    source, output = folder / "tx.parquet", folder / "out.parquet"
    options: dict = {"id_column": "tx_id"}
    if change == "missing":
        frame = frame.drop(columns="age")
    elif change == "id":
        options["id_column"] = "order_id"
    elif change == "output_is_input":
        output = source
    elif change == "no_folder":
        output = folder / "nowhere" / "out.parquet"
    elif change == "empty":
        frame = frame.head(0)
    elif change == "chunk":
        options["chunk_rows"] = 0
    elif change == "clash":
        frame = frame.assign(prediction=1)
        options["keep_columns"] = ["prediction"]
    frame.to_parquet(source)
    if change == "unknown":
        source = folder / "missing.parquet"
    with pytest.raises(mloop.ValidationError, match="^.*" + message.replace("(", r"\(").replace(")", r"\)")):
        mloop.score_batch("fraud@champion", source, output, **options)
    assert sorted(p.name for p in folder.iterdir()) == ["tx.parquet"]


def test_an_unknown_model_fails_before_reading_anything(fraud: mloop.ModelVersion, tmp_path: Path) -> None:
    with pytest.raises(mloop.NotFoundError, match="model 'fraud' has no alias 'staging'"):
        mloop.score_batch("fraud@staging", tmp_path / "absent.parquet", tmp_path / "out.parquet")


def test_a_chunk_that_fails_leaves_no_output_and_the_old_file_untouched(fraud: mloop.ModelVersion,
                                                                       tmp_path: Path) -> None:
    frame = tx(30)
    frame.loc[25, "country"] = "XX"  # in the fourth chunk of 8 rows: unknown to the model's signature
    frame.to_parquet(tmp_path / "tx.parquet")
    (tmp_path / "out.parquet").write_bytes(b"the previous scores")
    seen: list[int] = []
    with pytest.raises(mloop.ValidationError, match=r"unknown value\(s\) 'XX'.*\(chunk 4, rows 24-29\)"):
        mloop.score_batch("fraud@champion", tmp_path / "tx.parquet", tmp_path / "out.parquet", chunk_rows=8,
                          progress=lambda rows, total: seen.append(rows))
    assert seen == [8, 16, 24]  # three chunks were written to the temp file before the failure
    assert (tmp_path / "out.parquet").read_bytes() == b"the previous scores"
    assert leftovers(tmp_path) == []


def test_ctrl_c_between_chunks_removes_the_partial_output(fraud: mloop.ModelVersion, tmp_path: Path) -> None:
    tx(30).to_parquet(tmp_path / "tx.parquet")

    def interrupt(rows: int, total: int | None) -> None:
        assert total == 30
        if rows == 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt, match="scoring interrupted after 20 rows: removed the partial output"):
        mloop.score_batch("fraud@champion", tmp_path / "tx.parquet", tmp_path / "out.parquet", chunk_rows=10,
                          progress=interrupt)
    assert not (tmp_path / "out.parquet").exists()
    assert leftovers(tmp_path) == []


@step
def load_transactions(n: int = 25) -> pd.DataFrame:
    return tx(n, seed=8)


score = mloop.batch_scoring_step("fraud@champion", id_column="tx_id")


@pipeline(name="nightly-scoring")
def nightly(n: int = 25) -> None:
    score(load_transactions(n=n))


def test_the_scoring_step_in_a_pipeline_is_not_cached_across_alias_moves(fraud: mloop.ModelVersion) -> None:
    first = nightly.run()
    scored = first.output("batch_scoring").load()
    frame = tx(25, seed=8)
    assert scored["tx_id"].tolist() == frame["tx_id"].tolist()
    np.testing.assert_array_equal(scored["prediction"].to_numpy(), expected(fraud, frame)[0])
    assert set(scored["model_version"]) == {"fraud/1"}
    assert mloop.get_run_data(first.id).params["model_version"] == "fraud/1"

    serving_models.register_fraud(seed=4, c=0.01, alias="champion")
    second = nightly.run()
    assert second.step("load_transactions").status == "cached"
    assert second.step("batch_scoring").status == "succeeded"  # never cached: the alias moved
    assert set(second.output("batch_scoring").load()["model_version"]) == {"fraud/2"}


def test_the_scoring_step_outside_a_pipeline_scores_at_once(fraud: mloop.ModelVersion) -> None:
    frame = tx(5)
    scored = score(frame)
    assert scored.attrs["mloop_model_version"] == "fraud/1"
    np.testing.assert_array_equal(scored["prediction"].to_numpy(), expected(fraud, frame)[0])


def test_a_file_without_a_column_the_first_file_has_fails_and_leaves_no_output(fraud: mloop.ModelVersion,
                                                                                 tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    tx(10, seed=1).to_parquet(tmp_path / "in" / "a.parquet")
    tx(10, seed=2).drop(columns="age").to_parquet(tmp_path / "in" / "b.parquet")
    with pytest.raises(mloop.ValidationError, match=r"b\.parquet has no column 'age', which the first file has"):
        mloop.score_batch("fraud@champion", tmp_path / "in", tmp_path / "out.parquet", chunk_rows=4)
    assert not (tmp_path / "out.parquet").exists() and leftovers(tmp_path) == []
