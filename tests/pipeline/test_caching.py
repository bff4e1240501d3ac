from __future__ import annotations

import importlib
import shutil
import sys
import uuid
from pathlib import Path
from types import ModuleType

import pytest
from steps_example import chain, count, double, numbers, scale, text_pipeline, total

import mloop
from mloop import pipeline

pytestmark = pytest.mark.usefixtures("workspace")


def statuses(run: mloop.Run) -> dict[str, str]:
    return {s.node: s.status for s in run.steps}


def output_ids(run: mloop.Run) -> dict[str, str]:
    return {f"{s.node}.{name}": a.id for s in run.steps for name, a in s.outputs.items()}


def reasons(plan: mloop.Plan) -> dict[str, tuple[str, str]]:
    return {s.node: (s.action, s.reason) for s in plan.steps}


@pipeline
def two_branches(n: int = 3, factor: int = 2):
    xs = numbers(n)
    return total(scale(xs, factor=factor)), double(xs)


def test_second_run_is_all_cached_with_the_same_artifacts() -> None:
    first = chain.run(n=3)
    second = chain.run(n=3)

    assert statuses(first) == {"numbers": "succeeded", "double": "succeeded", "total": "succeeded"}
    assert statuses(second) == {"numbers": "cached", "double": "cached", "total": "cached"}
    assert output_ids(second) == output_ids(first)
    assert {s.node: s.cached_from for s in second.steps} == {s.node: s.id for s in first.steps}
    assert second.output("total").load() == 6
    assert second.id != first.id


def test_changing_a_step_parameter_reruns_that_step_and_downstream_only() -> None:
    first = two_branches.run(factor=2)
    second = two_branches.run(factor=5)

    assert statuses(second) == {"numbers": "cached", "scale": "succeeded", "total": "succeeded",
                                "double": "cached"}
    assert second.output("total").load() == 15
    assert second.output("double").id == first.output("double").id


def test_changing_a_pipeline_parameter_reruns_what_depends_on_it() -> None:
    chain.run(n=3)
    second = chain.run(n=4)
    assert set(statuses(second).values()) == {"succeeded"}
    assert second.output("total").load() == 12


def test_unchanged_outputs_stop_reruns_going_further() -> None:
    # a different factor changes scale's output, but n=0 makes it the same empty list again
    two_branches.run(n=0, factor=2)
    second = two_branches.run(n=0, factor=5)
    assert statuses(second) == {"numbers": "cached", "scale": "succeeded", "total": "cached", "double": "cached"}


CODE = '''
from mloop import pipeline, step
from steps_example import double, numbers, total


@step
def transform(xs: list) -> list:
    return [x + 1 for x in xs]


@pipeline
def pipe(n: int = 3):
    xs = numbers(n)
    return total(transform(xs)), double(xs)
'''


def import_fresh(name: str) -> ModuleType:
    sys.modules.pop(name, None)
    importlib.invalidate_caches()
    return importlib.import_module(name)


def test_changing_a_step_s_code_reruns_that_step_and_downstream_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # a stale .pyc must not hide the edit
    monkeypatch.syspath_prepend(str(tmp_path))
    name = f"user_steps_{uuid.uuid4().hex[:8]}"
    source = tmp_path / f"{name}.py"
    source.write_text(CODE)
    first = import_fresh(name).pipe.run()
    assert first.output("total").load() == 6

    source.write_text(CODE.replace("x + 1", "x + 100"))
    module = import_fresh(name)
    plan = module.pipe.plan()
    second = module.pipe.run()

    assert reasons(plan) == {
        "numbers": ("cached", f"same key as its execution in run {first.id}"),
        "transform": ("run", "step code changed"),
        "total": ("run", "upstream step 'transform' will run"),
        "double": ("cached", f"same key as its execution in run {first.id}"),
    }
    assert statuses(second) == {"numbers": "cached", "transform": "succeeded", "total": "succeeded",
                                "double": "cached"}
    assert second.output("total").load() == 303
    monkeypatch.delitem(sys.modules, name)


HELPERS = '''
OFFSET = 1


def shift(x):
    return x + OFFSET


def scale(x):
    return x * 2


def unused():
    return "not called by any step"
'''

USES_HELPERS = '''
from mloop import pipeline, step
import {helpers}
from {helpers} import shift

LIMIT = 100


@step
def transform(xs: list) -> list:
    return [min({helpers}.scale(shift(x)), LIMIT) for x in xs]


@pipeline
def pipe(n: int = 3):
    return transform(list(range(n)))
'''


def test_changing_project_code_a_step_calls_reruns_it_and_nothing_else_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.syspath_prepend(str(tmp_path))
    tag = uuid.uuid4().hex[:8]
    helpers, name = f"helpers_{tag}", f"uses_helpers_{tag}"
    (tmp_path / f"{name}.py").write_text(USES_HELPERS.format(helpers=helpers))

    def run_with(helper_code: str, step_code: str = USES_HELPERS) -> tuple[str, list[int]]:
        (tmp_path / f"{helpers}.py").write_text(helper_code)
        (tmp_path / f"{name}.py").write_text(step_code.format(helpers=helpers))
        import_fresh(helpers)
        run = import_fresh(name).pipe.run(n=3)
        return run.step("transform").status, run.output("transform").load()

    assert run_with(HELPERS) == ("succeeded", [2, 4, 6])
    assert run_with(HELPERS + "\n# a comment elsewhere\n") == ("cached", [2, 4, 6])
    assert run_with(HELPERS.replace('"not called by any step"', '"still not called"')) == ("cached", [2, 4, 6])
    # a helper imported by name, the constant it reads, a helper reached through its module,
    # and a constant of the step's own module: each change reruns the step
    assert run_with(HELPERS.replace("OFFSET = 1", "OFFSET = 2")) == ("succeeded", [4, 6, 8])
    assert run_with(HELPERS.replace("return x + OFFSET", "return x + OFFSET + 2")) == ("succeeded", [6, 8, 10])
    assert run_with(HELPERS.replace("return x * 2", "return x * 3")) == ("succeeded", [3, 6, 9])
    assert run_with(HELPERS.replace("return x * 2", "return x * 3"), USES_HELPERS.replace("LIMIT = 100", "LIMIT = 5")) \
        == ("succeeded", [3, 5, 5])
    for module in (helpers, name):
        monkeypatch.delitem(sys.modules, module)


def test_step_with_cache_false_always_executes() -> None:
    @pipeline
    def counted(n: int = 3):
        return count(numbers(n))

    counted.run()
    plan = counted.plan()
    second = counted.run()
    assert statuses(second) == {"numbers": "cached", "count": "succeeded"}
    assert reasons(plan)["count"] == ("run", "the step has cache=False")


def test_run_without_cache_executes_every_step() -> None:
    first = chain.run()
    plan = chain.plan(cache=False)
    second = chain.run(cache=False)
    assert set(statuses(second).values()) == {"succeeded"}
    assert output_ids(second) == output_ids(first)
    assert {a for a, _ in reasons(plan).values()} == {"run"}
    assert reasons(plan)["numbers"] == ("run", "caching is off for this run (--no-cache)")


def test_plan_explains_every_decision_and_runs_nothing() -> None:
    fresh = chain.plan(n=3)
    assert reasons(fresh) == {
        "numbers": ("run", "no earlier execution of this step"),
        "double": ("run", "upstream step 'numbers' will run"),
        "total": ("run", "upstream step 'double' will run"),
    }
    assert mloop.list_runs() == []

    first = chain.run(n=3)
    same = chain.plan(n=3)
    assert same.cached == ["numbers", "double", "total"] and same.to_run == []
    assert reasons(same)["total"] == ("cached", f"same key as its execution in run {first.id}")

    changed = chain.plan(n=5)
    assert reasons(changed)["numbers"] == ("run", "parameter n changed (3 → 5)")
    assert reasons(changed)["double"] == ("run", "upstream step 'numbers' will run")
    assert len(mloop.list_runs()) == 1


def test_plan_matches_what_the_run_then_does() -> None:
    two_branches.run(factor=2)
    plan = two_branches.plan(factor=3)
    run = two_branches.run(factor=3)
    assert {s.node: s.action for s in plan.steps} == {
        node: "cached" if status == "cached" else "run" for node, status in statuses(run).items()}
    # a step downstream of one that will run has no key yet; every other key is the one the run used
    keys = {s.node: s.cache_key for s in run.steps}
    assert {s.node: s.cache_key for s in plan.steps} == {**keys, "total": None}


# ---------------------------------------------------------------- data inputs

def test_data_input_is_cached_until_its_content_changes(tmp_path: Path) -> None:
    data = tmp_path / "data.txt"
    data.write_text("hello")
    first = text_pipeline.run(path="data.txt")
    untouched = text_pipeline.run(path="data.txt")
    data.write_text("hello")  # rewritten with the same bytes: new mtime, same content
    rewritten = text_pipeline.run(path="data.txt")
    data.write_text("world")
    plan = text_pipeline.plan(path="data.txt")
    changed = text_pipeline.run(path="data.txt")

    assert first.output("shout").load() == "HELLO"
    assert statuses(untouched) == statuses(rewritten) == {"read_text": "cached", "shout": "cached"}
    assert reasons(plan) == {"read_text": ("run", "input raw changed"),
                             "shout": ("run", "upstream step 'read_text' will run")}
    assert statuses(changed) == {"read_text": "succeeded", "shout": "succeeded"}
    assert changed.output("shout").load() == "WORLD"

    before, after = first.step("read_text").inputs["raw"], changed.step("read_text").inputs["raw"]
    assert before.id != after.id
    assert before.kind == "data" and before.summary["source"] == str(data)
    assert Path(before.load()).read_text() == "hello"  # the stored copy, not the edited file


def test_data_artifact_appears_in_lineage_with_its_source_path(tmp_path: Path) -> None:
    (tmp_path / "data.txt").write_text("lineage")
    run = text_pipeline.run(path="data.txt")

    upstream = run.output("shout").lineage().upstream
    data_nodes = [n for n in upstream if n.kind == "artifact" and n.detail["kind"] == "data"]
    assert [n.detail["source"] for n in data_nodes] == [str(tmp_path / "data.txt")]
    assert data_nodes[0].id == run.step("read_text").inputs["raw"].id


def test_missing_data_file_fails_before_running(tmp_path: Path) -> None:
    with pytest.raises(mloop.NotFoundError, match="data input .*nowhere.txt does not exist"):
        text_pipeline.plan(path="nowhere.txt")


def test_cached_step_whose_artifact_was_deleted_is_executed_again() -> None:
    from mloop.stores.workspace import get_workspace

    first = chain.run(n=3)
    store = get_workspace().artifacts
    gone = first.output("numbers").id
    shutil.rmtree(store.local_path(gone).parent)
    assert not store.exists(gone)

    plan = chain.plan(n=3)
    second = chain.run(n=3)

    assert reasons(plan)["numbers"] == ("run", "no cached result with this key (it was removed or never succeeded)")
    assert statuses(second) == {"numbers": "succeeded", "double": "cached", "total": "cached"}
    assert store.exists(gone)
    assert second.output("numbers").load() == [0, 1, 2]
