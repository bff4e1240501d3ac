"""Local executors honour declared resources: cpu as slots of the pool, memory against this
machine's; a step bigger than the machine runs alone rather than never."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from mloop import pipeline, step
from mloop.pipeline.execution.slots import machine_memory

pytestmark = pytest.mark.usefixtures("workspace")


@step(cache=False)
def hold(trace: str, name: str, seconds: float = 0.4) -> str:
    """Writes when it started and ended (monotonic ns) to `trace/name`."""
    began = time.monotonic_ns()
    time.sleep(seconds)
    Path(trace, name).write_text(f"{began} {time.monotonic_ns()}")
    return name


def intervals(trace: Path) -> dict[str, tuple[int, int]]:
    return {p.name: tuple(map(int, p.read_text().split())) for p in trace.iterdir()}  # type: ignore[misc]


def overlapping(trace: Path) -> set[frozenset[str]]:
    spans = intervals(trace)
    return {frozenset((a, b)) for a in spans for b in spans
            if a < b and spans[a][0] < spans[b][1] and spans[b][0] < spans[a][1]}


def run_three(tmp_path: Path, resources: dict[str, object], max_workers: int = 4) -> set[frozenset[str]]:
    trace = tmp_path / "trace"
    trace.mkdir()
    big = hold.with_options(resources=resources)

    @pipeline
    def three(trace: str):
        big(trace, "a")
        big(trace, "b")
        hold(trace, "small")

    three.run(trace=str(trace), max_workers=max_workers, executor="thread")
    return overlapping(trace)


def test_steps_without_resources_run_side_by_side(tmp_path: Path) -> None:
    assert run_three(tmp_path, {}) == {frozenset("ab"), frozenset({"a", "small"}), frozenset({"b", "small"})}


def test_cpu_is_counted_in_slots_of_the_pool(tmp_path: Path) -> None:
    # 4 slots: a (3 cpu) and b (3 cpu) never together; the 1-cpu step fits beside either
    together = run_three(tmp_path, {"cpu": 3})
    assert frozenset("ab") not in together
    assert together & {frozenset({"a", "small"}), frozenset({"b", "small"})}


def test_memory_is_counted_against_this_machine(tmp_path: Path) -> None:
    total = machine_memory()
    assert total > 0
    together = run_three(tmp_path, {"memory": int(total * 0.6)})
    assert frozenset("ab") not in together  # 2 × 60% does not fit
    assert together & {frozenset({"a", "small"}), frozenset({"b", "small"})}


def test_a_step_bigger_than_the_machine_still_runs_alone(tmp_path: Path) -> None:
    together = run_three(tmp_path, {"cpu": 64, "memory": machine_memory() * 4}, max_workers=2)
    assert together == set()  # each takes the whole machine in turn
    assert set(intervals(tmp_path / "trace")) == {"a", "b", "small"}
