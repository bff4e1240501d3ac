from __future__ import annotations

from pathlib import Path

import pytest
from steps_example import chain, concat, double, nap, numbers, rendezvous, scale, split, total

import mloop
from mloop import pipeline


@pytest.mark.usefixtures("workspace")
def test_outputs_load_back_and_are_recorded() -> None:
    run = chain.run(n=4)

    assert isinstance(run, mloop.Run)
    assert run.status == "succeeded"
    assert run.params == {"n": 4}
    assert [s.node for s in run.steps] == ["numbers", "double", "total"]
    assert all(s.status == "succeeded" and len(s.attempts) == 1 for s in run.steps)
    assert run.output("numbers").load() == [0, 1, 2, 3]
    assert run.output("total").load() == 12
    # the step run's input is the upstream output artifact itself
    assert run.step("double").inputs["xs"].id == run.output("numbers").id
    again = mloop.get_run(run.id)
    assert again.status == "succeeded"
    assert again.output("total").id == run.output("total").id
    assert mloop.get_artifact(run.output("total").id).load() == 12
    assert [r.id for r in mloop.list_runs()] == [run.id]


@pytest.mark.usefixtures("workspace")
def test_multi_output_step() -> None:
    @pipeline
    def halves(n: int = 5):
        head, tail = split(numbers(n))
        return double(tail), head

    run = halves.run()
    assert run.output("split.head").load() == [0]
    assert run.output("split", "tail").load() == [1, 2, 3, 4]
    assert set(run.step("split").outputs) == {"head", "tail"}
    assert run.output("double").load() == [2, 4, 6, 8]
    with pytest.raises(mloop.NotFoundError, match="has no output 'middle'"):
        run.output("split.middle")


@pytest.mark.usefixtures("sqlite_workspace")
def test_list_of_handles_is_one_fan_in_input() -> None:
    @pipeline
    def fan_in(n: int = 3):
        xs = numbers(n)
        return concat([double(xs), scale(xs, factor=10), xs])

    run = fan_in.run()
    assert run.output("concat").load() == [0, 2, 4, 0, 10, 20, 0, 1, 2]
    inputs = run.step("concat").inputs
    assert [inputs[f"parts[{i}]"].id for i in range(3)] == [
        run.output("double").id, run.output("scale").id, run.output("numbers").id]


@pytest.mark.usefixtures("sqlite_workspace")
def test_same_step_twice_gets_distinct_node_names() -> None:
    @pipeline
    def twice():
        return double(double(numbers(2)))

    run = twice.run()
    assert [s.node for s in run.steps] == ["numbers", "double", "double_2"]
    assert run.output("double_2").load() == [0, 4]


@pytest.mark.usefixtures("sqlite_workspace")
def test_after_orders_steps_without_data() -> None:
    @pipeline
    def ordered():
        first = nap(0.3, "first")
        return nap(0.0, "second", after=first)

    run = ordered.run(max_workers=4)
    first, second = run.step("nap"), run.step("nap_2")
    assert second.inputs == {}
    assert second.started_at >= first.ended_at


@pytest.mark.usefixtures("sqlite_workspace")
def test_independent_steps_run_in_parallel(tmp_path: Path) -> None:
    folder = tmp_path / "meeting"
    folder.mkdir()

    @pipeline
    def four_meet():
        # each step waits for all four to have arrived: they succeed only if they run at once
        return [rendezvous(str(folder), f"meet {i}", 4) for i in range(4)]

    run = four_meet.run(max_workers=4)
    assert [s.status for s in run.steps] == ["succeeded"] * 4
    # and their recorded spans overlap: every step started before any ended
    assert max(s.started_at for s in run.steps) < min(s.ended_at for s in run.steps)
    assert sorted(s.outputs["output"].load() for s in run.steps) == [f"meet {i}" for i in range(4)]


@pytest.mark.usefixtures("sqlite_workspace")
def test_process_executor_produces_the_same_artifacts_as_threads() -> None:
    @pipeline
    def mixed(n: int = 6):
        xs = numbers(n)
        head, tail = split(xs)
        return total(concat([double(head), scale(tail, factor=3)]))

    threaded = mixed.run(executor="thread")
    processed = mixed.run(executor="process", max_workers=2, cache=False)
    assert all(s.status == "succeeded" for s in processed.steps)
    assert {s.node: {k: a.id for k, a in s.outputs.items()} for s in processed.steps} == \
        {s.node: {k: a.id for k, a in s.outputs.items()} for s in threaded.steps}
    assert processed.output("total").load() == 3 * (1 + 2 + 3 + 4 + 5)


@pytest.mark.usefixtures("sqlite_workspace")
def test_unknown_executor_is_a_config_error() -> None:
    with pytest.raises(mloop.ConfigError, match="unknown executor 'gpu-farm'"):
        chain.run(executor="gpu-farm")
