"""Steps the pipeline tests run. They live at module level of an importable module because
worker processes, resumed runs and child processes find steps again by 'module:function'.

Steps that must behave differently between runs (fail, then succeed) read a file whose path
is a parameter, so the behaviour is the same in a thread, a worker process or another run.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import sys
import time
from pathlib import Path

from mloop import Data, pipeline, step


@step
def numbers(n: int = 3) -> list:
    """Make the list 0..n-1.

    Longer explanation that is not part of the description.
    """
    return list(range(n))


@step
def double(xs: list) -> list:
    return [2 * x for x in xs]


@step
def total(xs: list) -> int:
    return sum(xs)


@step
def scale(xs: list, factor: int = 1) -> list:
    return [factor * x for x in xs]


@step(outputs=["head", "tail"])
def split(xs: list) -> tuple[list, list]:
    return xs[:1], xs[1:]


@step
def concat(parts: list) -> list:
    """Fan-in: a list of step outputs arrives as a list of values."""
    return [x for part in parts for x in part]


@step
def boom(xs: list) -> list:
    raise ValueError("boom went the step")


@step
def needs_flag(xs: list, flag: str) -> list:
    """Fails until the file `flag` exists."""
    if not Path(flag).exists():
        raise RuntimeError(f"flag file {flag} is missing")
    return xs


@step(retries=2, retry_delay=0)
def flaky(counter: str, fails: int = 2) -> int:
    """Fails on its first `fails` executions (counted in the file `counter`), then returns their number."""
    path = Path(counter)
    count = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(count))
    if count <= fails:
        raise RuntimeError(f"attempt {count} failed")
    return count


@step(timeout=0.5)
def sleepy(progress: str = "") -> int:
    """Takes 5 s in 50 naps, counting them in the file `progress` (when given)."""
    for done in range(1, 51):
        time.sleep(0.1)
        if progress:  # atomically: a reader (or a kill at the timeout) never sees a half-written count
            Path(progress + ".tmp").write_text(str(done))
            os.replace(progress + ".tmp", progress)
    return 1


@step
def rendezvous(folder: str, label: str, parties: int) -> str:
    """Arrives in `folder`, then waits for `parties` steps to have arrived: only steps that run at
    the same time all meet (a watchdog fails the step after a minute)."""
    Path(folder, label).touch()
    for _ in range(1200):
        arrived = len(list(Path(folder).iterdir()))
        if arrived >= parties:
            return label
        time.sleep(0.05)
    raise RuntimeError(f"only {arrived} of {parties} steps ran at the same time")


@step
def nap(seconds: float, label: str) -> str:
    time.sleep(seconds)
    return label


@step
def chatty(label: str, lines: int = 1, pause: float = 0.0) -> str:
    """Writes to stdout, stderr and `logging`, `lines` times each."""
    logger = logging.getLogger("steps_example")
    for index in range(lines):
        print(f"stdout {label} {index}")
        print(f"stderr {label} {index}", file=sys.stderr)
        logger.info("logging %s %d", label, index)
        if pause:
            time.sleep(pause)
    return label


@step
def read_text(raw: Path) -> str:
    return Path(raw).read_text()


@step
def shout(text: str) -> str:
    return text.upper()


@step
def words(text: str) -> list:
    return text.split()


@step
def noisy() -> float:
    return random.random()  # no seed: a different output on every execution


@step(cache=False)
def count(xs: list) -> int:
    return len(xs)


@step
def wait_for(xs: list, started: str, release: str) -> list:
    """Says so and touches `started`, then waits (up to 60 s) until the file `release` exists."""
    print(f"waiting for {release}")
    Path(started).touch()
    deadline = time.monotonic() + 60
    while not Path(release).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return xs


@step
def die(xs: list) -> list:
    """Kills its own process at once, as the OOM killer or a crash in native code would."""
    os.kill(os.getpid(), signal.SIGKILL)
    return xs


@step
def meet(me: str, other: str) -> str:
    """Touches `me` and waits (up to 30 s) for `other`: two runs that call it overlap for sure."""
    Path(me).touch()
    deadline = time.monotonic() + 30
    while not Path(other).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return "met"


def length(xs: list) -> int:
    """A plain function, not a @step: YAML pipelines may use those too."""
    return len(xs)


@pipeline
def chain(n: int = 3):
    """numbers -> double -> total."""
    return total(double(numbers(n)))


@pipeline
def with_failure(n: int = 3):
    """boom fails; the independent branch (double -> total) still finishes."""
    xs = numbers(n)
    return total(boom(xs)), total(double(xs))


@pipeline
def flagged(flag: str, n: int = 3):
    """needs_flag fails until `flag` exists (a fix made between a run and its resume)."""
    xs = numbers(n)
    return total(double(needs_flag(xs, flag))), total(xs)


@pipeline
def text_pipeline(path: str = "data.txt"):
    """A data file read and upper-cased."""
    return shout(read_text(Data(path)))


@pipeline
def crash_pipeline(started: str, release: str):
    """numbers finishes; wait_for blocks until `release` exists; then total."""
    return total(wait_for(numbers(4), started, release))


@pipeline
def sudden_death_pipeline(started: str, release: str):
    """wait_for blocks until `release` exists; the step after it kills the process as it starts."""
    return die(wait_for(numbers(2), started, release))


@pipeline
def meeting_pipeline(me: str, other: str, n: int = 50):
    """Two of these started at once meet in the first step, then both write the same artifacts."""
    met = meet(me, other)
    xs = numbers(n, after=met)
    return concat([double(xs), scale(xs, factor=3), split(xs)[1]])


@step(retries=2)
def gatekeeper(counter: str, n: int) -> object:
    """Fails a data check after writing how often it ran; the report it leaves is its output."""
    from mloop.core.errors import DataCheckFailed

    path = Path(counter)
    path.write_text(str(int(path.read_text() if path.exists() else "0") + 1))
    raise DataCheckFailed("1 of 2 checks failed", outputs={"output": {"passed": False, "n": n}})


@pipeline
def gated(counter: str, n: int = 3):
    return shout(gatekeeper(counter, n))
