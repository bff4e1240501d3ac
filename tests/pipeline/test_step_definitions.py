from __future__ import annotations

from typing import Any

import pytest

import mloop
from mloop import pipeline, step


def test_decorator_options_become_the_spec() -> None:
    @step(name="fit", description="Fit the model.", outputs=["model", "report"],
          resources={"cpu": 1, "memory": "2Gi", "gpu": 0}, requirements=["numpy>=1.24"],
          retries=3, retry_delay=0.5, retry_backoff=3, timeout=10, cache=False, materializer="pickle")
    def train(xs: list) -> tuple[Any, Any]:
        return xs, xs

    spec = train.spec
    assert isinstance(train, mloop.Step)
    assert train.name == spec.name == "fit"
    assert spec.description == "Fit the model."
    assert spec.outputs == ("model", "report")
    assert spec.resources == {"cpu": 1.0, "memory": 2 * 2**30, "gpu": 0.0}
    assert spec.requirements == ("numpy>=1.24",)
    assert (spec.retries, spec.retry_delay, spec.retry_backoff, spec.timeout) == (3, 0.5, 3.0, 10.0)
    assert spec.cache is False
    assert spec.materializers == {"model": "pickle", "report": "pickle"}


def test_bare_decorator_uses_function_name_and_defaults() -> None:
    @step
    def prepare(xs: list) -> list:
        return xs

    assert prepare.name == "prepare"
    assert prepare.spec.outputs == ("output",)
    assert (prepare.spec.retries, prepare.spec.timeout, prepare.spec.cache) == (0, None, True)
    assert prepare.uses == f"{__name__}:test_bare_decorator_uses_function_name_and_defaults.<locals>.prepare"


def test_description_is_the_first_paragraph_of_the_docstring() -> None:
    @step
    def clean(xs: list) -> list:
        """Drop rows with missing values
        and duplicates.

        Details that stay out of the description.
        """
        return xs

    assert clean.spec.description == "Drop rows with missing values and duplicates."


def test_memory_units_are_parsed() -> None:
    @step(resources={"memory": "512M"})
    def small() -> int:
        return 1

    assert small.spec.resources == {"memory": 512_000_000.0}


@pytest.mark.parametrize(("options", "message"), [
    ({"name": "1st-step"}, "must start with a letter"),
    ({"outputs": ["a", "a"]}, "outputs must be distinct"),
    ({"retries": -1}, "retries"),
    ({"retry_backoff": 0.5}, "retry_backoff"),
    ({"timeout": 0}, "timeout must be a positive"),
    ({"resources": {"disk": 10}}, "unknown resource 'disk'"),
    ({"resources": {"memory": "lots"}}, "'lots' is not a size"),
    ({"resources": {"cpu": -1}}, "cannot be negative"),
    ({"resources": {"cpu": "many"}}, "is not a number"),
    ({"isolation": "docker"}, "isolation must be one of none, venv"),
    ({"outputs": ["model"], "materializer": {"modle": "pickle"}}, "unknown output 'modle'"),
])
def test_invalid_spec_raises_validation_error(options: dict[str, Any], message: str) -> None:
    def fn() -> int:
        return 1

    with pytest.raises(mloop.ValidationError, match=message):
        step(**options)(fn)


def test_step_called_outside_a_pipeline_is_the_plain_function() -> None:
    calls = []

    @step(outputs=["low", "high"])
    def bounds(xs: list, margin: int = 0) -> tuple[int, int]:
        calls.append(xs)
        return min(xs) - margin, max(xs) + margin

    assert bounds([3, 1, 2], margin=1) == (0, 4)
    assert calls == [[3, 1, 2]]


def test_with_options_changes_only_the_copy() -> None:
    @step
    def fit(xs: list) -> list:
        return xs

    patient = fit.with_options(retries=4, timeout=30)
    assert (patient.spec.retries, patient.spec.timeout) == (4, 30)
    assert (fit.spec.retries, fit.spec.timeout) == (0, None)
    assert patient.uses == fit.uses
    with pytest.raises(mloop.ValidationError):
        fit.with_options(retries=-2)


def test_pipeline_isolation_applies_to_steps_that_did_not_choose(tmp_path) -> None:
    from mloop.pipeline.definition.yaml_loader import load_yaml_pipeline

    @step
    def inherits() -> int:
        return 1

    @step(isolation="none")
    def stays_local(x: int) -> int:
        return x

    @pipeline(isolation="venv")
    def isolated():
        stays_local(inherits())

    graph, _, _ = isolated.compile()
    assert {name: node.spec.isolation for name, node in graph.nodes.items()} == {
        "inherits": "venv", "stays_local": "none"}

    @pipeline
    def plain():
        stays_local(inherits())

    graph, _, _ = plain.compile()
    assert graph.nodes["inherits"].spec.isolation == "none"

    (tmp_path / "iso_steps.py").write_text("def one() -> int:\n    return 1\n")
    (tmp_path / "iso.yaml").write_text(
        "name: iso\nisolation: venv\nsteps:\n  - name: one\n    uses: iso_steps:one\n"
        "  - name: two\n    uses: iso_steps:one\n    isolation: none\n")
    graph, _, _ = load_yaml_pipeline(tmp_path / "iso.yaml").compile()
    assert graph.nodes["one"].spec.isolation == "venv"
    assert graph.nodes["two"].spec.isolation == "none"


def test_pipeline_isolation_must_be_known() -> None:
    with pytest.raises(mloop.GraphError, match="isolation must be 'none' or 'venv'"):
        pipeline(isolation="docker")(lambda: None)


@pytest.mark.parametrize(("options", "message"), [
    ({"cache": "no"}, r"step 'fit': option cache='no' must be True or False"),
    ({"retries": "3"}, r"step 'fit': option retries='3' must be a whole number"),
    ({"timeout": "10s"}, r"step 'fit': option timeout='10s' must be a number"),
    ({"retry": 2}, r"step 'fit': unknown option 'retry'; did you mean 'retries'\?"),
    ({"resources": {"memory": "2Gx"}}, r"step 'fit': resource memory '2Gx' is not a size"),
    ({"requirements": "numpy"}, r"step 'fit': option requirements='numpy' must be a list of strings"),
])
def test_with_options_validates_like_the_decorator(options: dict[str, Any], message: str) -> None:
    @step
    def fit(xs: list) -> list:
        return xs

    with pytest.raises(mloop.ValidationError, match=message):
        fit.with_options(**options)
    with pytest.raises(mloop.ValidationError, match=message):
        step(name="fit", **options)(fit.fn)


def test_with_options_normalises_resources_so_scheduling_works(sqlite_workspace: Any) -> None:
    @step
    def fit(n: int) -> int:
        return n + 1

    big = fit.with_options(resources={"memory": "2Gi", "cpu": 1}, cache=False, retry_backoff=3)
    assert big.spec.resources == {"memory": 2.0 * 2**30, "cpu": 1.0}
    assert (big.spec.cache, big.spec.retry_backoff) == (False, 3.0)

    @pipeline
    def one():
        big(1)

    assert one.run().output("fit").load() == 2


def test_the_option_list_is_written_once() -> None:
    import inspect
    import typing

    from mloop.pipeline.definition import step as step_module
    from mloop.pipeline.definition.spec import STEP_OPTIONS, StepSpec, make_spec
    from mloop.pipeline.definition.yaml_loader import StepDoc

    decorator_overload = typing.get_overloads(step_module.step)[1]
    assert list(inspect.signature(decorator_overload).parameters) == ["name", *STEP_OPTIONS]
    assert set(StepDoc.model_fields) >= set(STEP_OPTIONS)
    spec = make_spec("fit", retries=2, resources={"cpu": 2}, materializer="pickle", side_effects=True)
    assert make_spec("fit", **spec.options()) == spec
    assert StepSpec.from_json(spec.to_json()) == spec
