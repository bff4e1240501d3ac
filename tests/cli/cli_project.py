"""A small user project for the CLI tests: a pipeline written in Python and the same in YAML."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

STEPS = '''
from pathlib import Path

from mloop import pipeline, step


@step
def numbers(n: int = 3) -> list:
    return list(range(n))


@step
def check(xs: list, fail: bool = False) -> list:
    if fail:
        raise RuntimeError("asked to fail")
    if Path("BROKEN").exists():
        raise RuntimeError("the file BROKEN exists")
    return xs


@step
def scale(xs: list, factor: int = 2) -> list:
    return [factor * x for x in xs]


@step
def total(xs: list) -> int:
    return sum(xs)


@pipeline
def flow(n: int = 3, factor: int = 2, fail: bool = False):
    xs = numbers(n)
    return total(scale(check(xs, fail), factor=factor)), total(xs)
'''

YAML = '''
name: yflow
parameters: {{n: 3, factor: 2}}
steps:
  - name: numbers
    uses: {module}:numbers
    parameters: {{n: "${{params.n}}"}}
  - name: scale
    uses: {module}:scale
    inputs: {{xs: numbers.output}}
    parameters: {{factor: "${{params.factor}}"}}
  - name: total
    uses: {module}:total
    inputs: {{xs: scale.output}}
'''


@dataclass(frozen=True)
class Project:
    root: Path
    python: str  # "flow_<id>.py:flow"
    yaml: str  # "pipeline.yaml"


def write_project(root: Path) -> Project:
    module = f"flow_{uuid.uuid4().hex[:10]}"  # a unique name: sys.modules outlives the test
    (root / f"{module}.py").write_text(STEPS)
    (root / "pipeline.yaml").write_text(YAML.format(module=module))
    return Project(root, f"{module}.py:flow", "pipeline.yaml")
