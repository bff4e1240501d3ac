"""The code hash behind a step's cache key: the same in every process, and changed by what can
change the step's behaviour (project code it reaches), not by what cannot."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

MODULE = '''
from dataclasses import dataclass


@dataclass
class Config:  # its __init__ is generated code, with no source file
    offset: int = 0


class Scaler:
    def __call__(self, x):
        return x * FACTOR


FACTOR = 2
scale = Scaler()
namespace = {{}}
exec("def generated(x):\\n    return x + 1 if x not in {{'a', 'b', 'c'}} else 0", namespace)
generated = namespace["generated"]


def transform(xs):
    return [generated(scale(x)) + Config().offset for x in xs]
'''


def hash_in_a_new_process(folder: Path, module: str) -> str:
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(folder)!r})
        from mloop.pipeline.caching.codehash import code_hash
        import {module}
        print(code_hash({module}.transform))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def module(tmp_path: Path) -> tuple[Path, str]:
    name = f"callables_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(MODULE.format())
    return tmp_path, name


def test_hash_is_the_same_in_every_process(module: tuple[Path, str]) -> None:
    folder, name = module
    # a callable instance and a function with no source file: neither may bring a memory address in
    assert hash_in_a_new_process(folder, name) == hash_in_a_new_process(folder, name)


@pytest.mark.parametrize(("old", "new"), [
    ("return x * FACTOR", "return x * FACTOR + 0"),  # a callable instance counts by its class's code
    ("return x + 1", "return x + 2"),  # generated code counts by what it compiles to
], ids=["callable-instance", "generated-code"])
def test_an_edit_to_code_the_step_reaches_changes_the_hash(module: tuple[Path, str], old: str, new: str) -> None:
    folder, name = module
    before = hash_in_a_new_process(folder, name)
    source = folder / f"{name}.py"
    source.write_text(source.read_text().replace(old, new))
    assert hash_in_a_new_process(folder, name) != before
