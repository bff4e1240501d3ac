"""YAML pipelines compile to the same graph as Python ones and run the same way."""

from __future__ import annotations

from pathlib import Path

import pytest
from steps_example import chain

from mloop.pipeline.definition.loading import load_pipeline

pytestmark = pytest.mark.usefixtures("sqlite_workspace")

EVERYTHING = """
name: everything
description: Data, ordering-only dependencies, fan-in and a plain function.
parameters: {path: words.txt, n: 3}
steps:
  - name: read
    uses: steps_example:read_text
    inputs: {raw: {type: data, path: "${params.path}"}}
  - name: tokens
    uses: steps_example:words
    inputs: {text: read.output}
  - name: nums
    uses: steps_example:numbers
    parameters: {n: "${params.n}"}
    depends_on: [tokens]
    cache: false
  - name: cut
    uses: steps_example:split
    inputs: {xs: nums.output}
  - name: joined
    uses: steps_example:concat
    inputs: {parts: [tokens.output, cut.tail, cut.head]}
  - name: size
    uses: steps_example:length
    inputs: {xs: joined.output}
    retries: 2
    retry_delay: 0
"""


def write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text)
    return str(folder / name)


def test_yaml_pipeline_runs_with_data_fan_in_and_plain_functions(tmp_path: Path) -> None:
    (tmp_path / "words.txt").write_text("a b c")
    definition = load_pipeline(write(tmp_path, "pipeline.yaml", EVERYTHING))

    run = definition.run()

    assert run.pipeline == "everything"
    assert run.params == {"path": "words.txt", "n": 3}
    assert run.output("joined").load() == ["a", "b", "c", 1, 2, 0]
    assert run.output("size").load() == 6
    assert run.step("read").inputs["raw"].summary["source"] == str(tmp_path / "words.txt")
    assert run.step("nums").started_at >= run.step("tokens").ended_at
    assert run.step("size").record.spec["retries"] == 2

    again = definition.run(n=3)
    # nums has cache: false in the YAML; it yields the same list, so what follows stays cached
    assert {s.node: s.status for s in again.steps} == {
        "read": "cached", "tokens": "cached", "nums": "succeeded", "cut": "cached", "joined": "cached",
        "size": "cached"}


def test_parameters_override_yaml_defaults(tmp_path: Path) -> None:
    (tmp_path / "words.txt").write_text("a b c")
    (tmp_path / "more.txt").write_text("d e f g")
    definition = load_pipeline(write(tmp_path, "pipeline.yaml", EVERYTHING))

    run = definition.run(path="more.txt", n=1)

    assert run.params == {"path": "more.txt", "n": 1}
    assert run.output("joined").load() == ["d", "e", "f", "g", 0]


def test_yaml_and_python_pipelines_share_the_cache(tmp_path: Path) -> None:
    python_run = chain.run(n=4)
    definition = load_pipeline(write(tmp_path, "chain.yaml", """
name: chain-in-yaml
parameters: {n: 4}
steps:
  - {name: make, uses: "steps_example:numbers", parameters: {n: "${params.n}"}}
  - {name: twice, uses: "steps_example:double", inputs: {xs: make.output}}
  - {name: sum, uses: "steps_example:total", inputs: {xs: twice.output}}
"""))

    yaml_run = definition.run()

    assert [s.status for s in yaml_run.steps] == ["cached", "cached", "cached"]
    assert yaml_run.output("sum").id == python_run.output("total").id
    assert [s.cached_from for s in yaml_run.steps] == [s.id for s in python_run.steps]


def test_yaml_step_takes_every_step_option(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.yaml"
    path.write_text("""
name: options
steps:
  - name: make
    uses: steps_example:numbers
    retries: 2
    retry_delay: 0
    retry_backoff: 3
    resources: {memory: 1Gi}
    side_effects: true
""")
    graph, _, _ = load_pipeline(str(path)).compile()
    spec = graph.nodes["make"].spec
    assert (spec.retries, spec.retry_delay, spec.retry_backoff, spec.side_effects) == (2, 0.0, 3.0, True)
    assert spec.resources == {"memory": float(2**30)}


def test_yaml_invalid_option_names_file_step_and_option(tmp_path: Path) -> None:
    import mloop

    path = tmp_path / "pipeline.yaml"
    path.write_text("""
name: options
steps:
  - name: make
    uses: steps_example:numbers
    resources: {memory: lots}
""")
    with pytest.raises(mloop.ValidationError) as raised:
        load_pipeline(str(path)).run()
    assert str(raised.value) == (f"{path}: step 'make': resource memory 'lots' is not a size; "
                                 "write e.g. '512Mi', '2Gi' or a number of bytes")
    assert mloop.list_runs() == []
