"""Pipeline parameters are coerced to their declared type, and refused before anything runs."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from typer.testing import CliRunner

import mloop
from mloop import pipeline, step
from mloop.cli.main import app

pytestmark = pytest.mark.usefixtures("sqlite_workspace")

TRAIN_PY = '''
from typing import Literal, Optional

from mloop import pipeline, step


@step
def ingest() -> list:
    return [1, 2, 3]


@step
def train(xs: list, n_estimators: int, rate: float, kind: str, layers: list, seed) -> dict:
    return {"n_estimators": n_estimators, "rate": rate, "kind": kind, "layers": layers, "seed": seed}


@pipeline
def training(n_estimators: int = 100, rate: float = 0.5, kind: Literal["rf", "gb"] = "rf",
             layers: list[int] = [], label: Optional[str] = None, seed=0):
    train(ingest(), n_estimators, rate, kind, layers, seed)
'''

YAML = '''
name: ytrain
parameters: {n_estimators: 100, rate: 0.5, name: none, anything: null}
steps:
  - name: make
    uses: steps_example:numbers
    parameters: {n: "${params.n_estimators}"}
'''


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner(env={"COLUMNS": "250"}).invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def train_py(tmp_path: Path) -> str:
    path = tmp_path / "train.py"
    path.write_text(TRAIN_PY)
    return str(path)


def test_cli_refuses_a_value_that_is_not_the_annotated_type_before_running(train_py: str) -> None:
    code, _, err = cli("run", train_py, "-p", "n_estimators=abc")

    assert code == 2
    assert err.splitlines() == ["error: parameter n_estimators: 'abc' is not an int "
                                "(pipeline parameter n_estimators: int = 100)"]
    assert mloop.list_runs() == []


@pytest.mark.parametrize(("option", "message"), [
    ("n_estimators=1.5", "parameter n_estimators: '1.5' is not an int"),
    ("rate=fast", "parameter rate: 'fast' is not a float"),
    ("kind=svm", "parameter kind: 'svm' is not one of 'rf', 'gb' (pipeline parameter kind: Literal['rf', 'gb'] = 'rf')"),
    ("layers=[a]", "parameter layers: '[a]' is not a list[int]"),
])
def test_cli_refuses_other_misfits(train_py: str, option: str, message: str) -> None:
    code, _, err = cli("run", train_py, "-p", option)

    assert code == 2
    assert err.startswith(f"error: {message}")
    assert len(err.splitlines()) == 1
    assert mloop.list_runs() == []


def test_cli_coerces_values_to_the_annotated_types(train_py: str) -> None:
    code, out, err = cli("run", train_py, "-p", "n_estimators=1e2", "-p", "rate=1e2", "-p", "kind=gb",
                         "-p", "layers=[64, 32]", "-p", "label=007", "-p", "seed=[1, 2]")

    assert code == 0, err
    [record] = mloop.list_runs()
    expected = {"n_estimators": 100, "rate": 100.0, "kind": "gb", "layers": [64, 32], "seed": [1, 2]}
    assert mloop.get_run(record.id).output("train").load() == expected
    assert record.params["label"] == "007"  # a str parameter keeps its text
    assert type(record.params["n_estimators"]) is int and type(record.params["rate"]) is float


def test_python_caller_with_a_wrong_type_gets_a_validation_error_and_no_run() -> None:
    @step
    def fit(n: int) -> int:
        return n

    @pipeline
    def training(n_estimators: int = 100, kind: Literal["rf", "gb"] = "rf"):
        fit(n_estimators)

    with pytest.raises(mloop.ValidationError, match=r"^parameter n_estimators: 'abc' is not an int "
                                                    r"\(pipeline parameter n_estimators: int = 100\)$"):
        training.run(n_estimators="abc")
    with pytest.raises(mloop.ValidationError, match="parameter kind: 'svm' is not one of 'rf', 'gb'"):
        training.run(kind="svm")
    assert mloop.list_runs() == []
    assert training.run(n_estimators=7.0).params["n_estimators"] == 7


def test_yaml_parameters_are_typed_by_their_default(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text(YAML)

    code, _, err = cli("run", str(path), "-p", "n_estimators=abc")
    assert code == 2
    assert err.splitlines() == ["error: parameter n_estimators: 'abc' is not an int "
                                "(pipeline parameter n_estimators: int = 100)"]
    assert mloop.list_runs() == []

    code, _, err = cli("run", str(path), "-p", "n_estimators=1e1", "-p", "rate=2", "-p", "name=12",
                       "-p", "anything=[1]")
    assert code == 0, err
    [record] = mloop.list_runs()
    assert record.params == {"n_estimators": 10, "rate": 2.0, "name": "12", "anything": [1]}
    assert mloop.get_run(record.id).output("make").load() == list(range(10))
