"""A graph that cannot run fails before anything runs: no run is recorded, no step executes."""

from __future__ import annotations

from pathlib import Path

import pytest
from steps_example import chain, double, numbers, total

import mloop
from mloop import pipeline, step
from mloop.pipeline.definition.loading import load_pipeline

pytestmark = pytest.mark.usefixtures("sqlite_workspace")


class Apple:
    pass


class Banana:
    pass


@step(materializer="pickle")
def pick() -> Apple:
    return Apple()


@step
def peel(fruit: Banana) -> str:
    return "peeled"


def assert_nothing_ran() -> None:
    assert mloop.list_runs() == []


def test_missing_input() -> None:
    @pipeline
    def broken():
        return total()

    with pytest.raises(mloop.GraphError, match=r"step 'total'.*missing a required argument: 'xs'"):
        broken.run()
    assert_nothing_ran()


def test_unknown_pipeline_parameter() -> None:
    with pytest.raises(mloop.GraphError, match=r"pipeline 'chain'.*'size'.*parameters: n"):
        chain.run(size=4)
    assert_nothing_ran()


def test_non_json_parameter() -> None:
    with pytest.raises(mloop.GraphError, match=r"parameter 'n' is a object.*JSON"):
        chain.run(n=object())
    assert_nothing_ran()


def test_non_json_step_argument() -> None:
    @pipeline
    def broken():
        return double(object())

    with pytest.raises(mloop.GraphError, match=r"step 'double': parameter 'xs' is a object, which is not JSON"):
        broken.run()
    assert_nothing_ran()


def test_static_type_mismatch() -> None:
    @pipeline
    def fruit():
        return peel(pick())

    with pytest.raises(mloop.GraphError, match=r"input 'fruit' expects Banana but step 'pick' output 'output' returns Apple"):
        fruit.run()
    with pytest.raises(mloop.GraphError):
        fruit.plan()
    assert_nothing_ran()


@step
def count_apples() -> int:
    return 3


@step
def halve(x: float) -> float:
    return x / 2


def test_int_output_is_accepted_for_a_float_input() -> None:
    @pipeline
    def numeric():
        return halve(count_apples())

    assert numeric.run().output("halve").load() == 1.5


def test_unpacking_a_single_output_step() -> None:
    @pipeline
    def broken():
        head, tail = numbers(3)
        return total(head)

    with pytest.raises(mloop.GraphError, match=r"step 'numbers' has one output; name several with @step\(outputs="):
        broken.run()
    assert_nothing_ran()


def test_branching_on_a_handle_is_refused() -> None:
    @pipeline
    def broken():
        xs = numbers(3)
        return total(xs) if xs else double(xs)

    with pytest.raises(mloop.GraphError, match="branch inside a step"):
        broken.run()
    assert_nothing_ran()


def test_run_option_names_cannot_be_pipeline_parameters() -> None:
    with pytest.raises(mloop.GraphError, match="'cache' is reserved"):
        @pipeline
        def reserved(cache: bool = True):
            return numbers(3)


# ---------------------------------------------------------------- YAML

def write_yaml(folder: Path, text: str) -> Path:
    path = folder / "pipeline.yaml"
    path.write_text(text)
    return path


def test_yaml_unknown_key_names_step_and_key(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, """
name: typo
steps:
  - name: make
    uses: steps_example:numbers
  - name: train
    uses: steps_example:double
    inputs: {xs: make.output}
    retires: 2
""")
    with pytest.raises(mloop.ValidationError, match=r"steps\[1\] \(train\): unknown key 'retires'"):
        load_pipeline(str(path))
    assert_nothing_ran()


def test_yaml_cycle(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, """
name: loop
steps:
  - name: a
    uses: steps_example:double
    inputs: {xs: b.output}
  - name: b
    uses: steps_example:double
    inputs: {xs: a.output}
  - name: c
    uses: steps_example:numbers
""")
    definition = load_pipeline(str(path))
    with pytest.raises(mloop.GraphError, match=r"a, b depend on each other in a cycle"):
        definition.run()
    assert_nothing_ran()


def test_yaml_unknown_step_reference_suggests_a_name(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, """
name: misspelt
steps:
  - name: make
    uses: steps_example:numbers
  - name: train
    uses: steps_example:double
    inputs: {xs: mkae.output}
""")
    with pytest.raises(mloop.GraphError, match=r"step 'train'.*unknown step 'mkae'; did you mean 'make'\?"):
        load_pipeline(str(path)).run()
    assert_nothing_ran()


def test_yaml_unknown_output(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, """
name: outputs
steps:
  - name: make
    uses: steps_example:numbers
  - name: cut
    uses: steps_example:split
    inputs: {xs: make.output}
  - name: train
    uses: steps_example:double
    inputs: {xs: cut.middle}
""")
    with pytest.raises(mloop.GraphError, match=r"step 'cut' has no output 'middle' \(outputs: head, tail\)"):
        load_pipeline(str(path)).run()
    assert_nothing_ran()


def test_yaml_undeclared_parameter(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, """
name: params
parameters: {n: 3}
steps:
  - name: make
    uses: steps_example:numbers
    parameters: {n: "${params.size}"}
""")
    with pytest.raises(mloop.GraphError, match=r"step 'make'.*\$\{params.size\} is not a declared parameter"):
        load_pipeline(str(path)).plan()
    assert_nothing_ran()


def test_yaml_unknown_run_parameter(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, """
name: params
parameters: {n: 3}
steps:
  - name: make
    uses: steps_example:numbers
    parameters: {n: "${params.n}"}
""")
    with pytest.raises(mloop.GraphError, match=r"unknown parameter 'm'; declared: n"):
        load_pipeline(str(path)).run(m=4)
    assert_nothing_ran()


def test_yaml_unknown_uses_target_names_the_file_and_suggests(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, """
name: misspelt
steps:
  - name: train
    uses: steps_example:nubmers
""")
    with pytest.raises(mloop.NotFoundError) as raised:
        load_pipeline(str(path)).run()
    assert str(raised.value) == (f"{path}: step 'train': uses 'steps_example:nubmers' not found in module "
                                 "steps_example; did you mean 'steps_example:numbers'?")
    assert_nothing_ran()


def test_yaml_duplicate_step_names_say_which(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, """
name: twice
steps:
  - name: make
    uses: steps_example:numbers
  - name: train
    uses: steps_example:double
    inputs: {xs: make.output}
  - name: make
    uses: steps_example:numbers
""")
    with pytest.raises(mloop.GraphError) as raised:
        load_pipeline(str(path)).run()
    assert str(raised.value) == (f"{path}: two steps are named 'make' (steps[0] and steps[2]); "
                                 "step names must be unique")
    assert_nothing_ran()
