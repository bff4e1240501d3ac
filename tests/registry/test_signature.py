"""Signatures: what is inferred from training data, and the one-line errors on bad input."""

from __future__ import annotations

from pathlib import Path

import fraud_example as fe
import numpy as np
import pandas as pd
import pytest

import mloop
from mloop.registry import Signature


def test_inference_of_types_nullability_and_domains() -> None:
    frame = pd.DataFrame({
        "amount": [1.5, None, 3.0, 4.0],
        "count": np.array([1, 2, 3, 4], dtype="int32"),
        "flag": [True, False, True, True],
        "plan": pd.Categorical(["a", "b", "a", "a"], categories=["a", "b", "c"]),
        "city": ["x", "y", "x", "x"],
        "note": ["free", "text", "is", "unique"],
        "when": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]),
    })
    columns = {c.name: c for c in Signature.infer(frame).inputs}

    assert {n: c.type for n, c in columns.items()} == {
        "amount": "float", "count": "integer", "flag": "boolean", "plan": "category", "city": "string",
        "note": "string", "when": "datetime"}
    assert columns["amount"].nullable and not columns["count"].nullable
    assert columns["count"].dtype == "int32"
    assert columns["plan"].categories == ["a", "b", "c"]  # the declared categories, also unseen ones
    assert columns["city"].categories == ["x", "y"]  # few distinct strings: a domain
    assert columns["note"].categories is None  # every value distinct: free text


def test_round_trip_through_a_dict() -> None:
    signature = Signature.infer(fe.transactions(100), model=None)
    assert Signature.from_dict(signature.to_dict()) == signature


@pytest.fixture
def fraud(workspace: Path) -> mloop.LoadedModel:
    frame = fe.transactions(400)
    model = fe.fit_fraud(frame)
    mloop.register_model("fraud", model, training_data=frame.dropna(), target="y")
    return mloop.load_model("fraud@latest")


def rows(n: int = 5) -> pd.DataFrame:
    return fe.transactions(n, seed=11).fillna(1.0).drop(columns="y")


def test_predict_accepts_matching_input_in_any_column_order(fraud: mloop.LoadedModel) -> None:
    data = rows()
    reordered = data[["hour", "country", "amount", "age"]]
    assert list(fraud.predict(reordered)) == list(fraud.model.predict(data))
    as_records = data.to_dict(orient="records")
    assert list(fraud.predict(as_records)) == list(fraud.model.predict(data))


def test_one_line_error_names_missing_extra_and_mistyped_columns(fraud: mloop.LoadedModel) -> None:
    bad = rows().drop(columns="age").assign(channel="web", hour=lambda f: f["hour"].astype(str))

    with pytest.raises(mloop.ValidationError) as error:
        fraud.predict(bad)

    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("input for fraud/1 does not match the signature: missing column 'age'; "
                              "extra column 'channel'; column 'hour' is string")
    assert "expected integer (int64)" in message
    assert message.endswith("(expected columns: amount:float, age:integer, country:string, hour:integer)")


def test_missing_values_unknown_categories_and_fractions_are_refused(fraud: mloop.LoadedModel) -> None:
    with pytest.raises(mloop.ValidationError, match=r"column 'amount' has 1 missing value\(s\), but it had none"):
        fraud.predict(rows().assign(amount=[1.0, None, 2.0, 3.0, 4.0]))
    with pytest.raises(mloop.ValidationError, match=r"column 'country' has unknown value\(s\) 'IT' \(known: DE, FR, US\)"):
        fraud.predict(rows().assign(country=["IT", "DE", "DE", "FR", "US"]))
    with pytest.raises(mloop.ValidationError, match="column 'age' has fractional values"):
        fraud.predict(rows().assign(age=[30.5, 31, 32, 33, 34]))


def test_whole_floats_pass_for_integers_and_ints_for_floats(fraud: mloop.LoadedModel) -> None:
    data = rows().assign(age=lambda f: f["age"].astype(float), amount=lambda f: f["amount"].round().astype(int))
    assert len(fraud.predict(data)) == 5


def test_validate_payloads_in_every_shape(fraud: mloop.LoadedModel) -> None:
    signature = fraud.signature
    assert signature is not None
    record = {"amount": 10.0, "age": 40, "country": "FR", "hour": 5}
    for payload in (record, [record, record], {"instances": [record]}, {k: [v] for k, v in record.items()}):
        assert signature.problems(payload) == []
    assert signature.problems({**record, "age": "forty"}) == [
        "column 'age' is string (str), expected integer (int64)"]
    with pytest.raises(mloop.ValidationError, match="cannot check a int against a signature"):
        signature.validate(42)


def test_category_columns_are_given_their_training_categories() -> None:
    frame = pd.DataFrame({"plan": pd.Categorical(["a", "b", "a", "b"]), "x": [1.0, 2.0, 3.0, 4.0]})
    prepared = Signature.infer(frame).validate({"plan": ["b"], "x": [1.5]})
    assert list(prepared["plan"].cat.categories) == ["a", "b"]


def test_predict_proba_needs_a_model_that_gives_probabilities(workspace: Path) -> None:
    from sklearn.linear_model import LinearRegression

    frame = fe.balanced(100).astype(float)
    model = LinearRegression().fit(frame.drop(columns="y"), frame["y"])
    loaded = mloop.register_model("score", model, training_data=frame, target="y").load()
    assert [o.name for o in loaded.signature.outputs] == ["prediction"]  # type: ignore[union-attr]
    with pytest.raises(mloop.ValidationError, match=r"gives no class probabilities; use .predict"):
        loaded.predict_proba(frame.drop(columns="y"))
