"""The README's data quality example, run as a user runs it: copied into a fresh folder and
started with `python quality.py`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_quality_example_runs_and_prints_what_it_says(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(# quality\.py: python quality\.py\n.*?)```", README.read_text(), re.S)
    assert len(blocks) == 1
    (tmp_path / "quality.py").write_text(blocks[0])
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOOP_")}
    done = subprocess.run([sys.executable, "quality.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("1 of 3 checks failed (1 error) on 2,000 rows")
    assert lines[1].startswith("10 of 2,000 rows (0.50%) are not at least 0")
    assert lines[2].startswith("drifted: 2 of 4 columns drifted (amount, y)")
    assert (tmp_path / "drift.html").read_text().count("<svg") > 2
    assert (tmp_path / ".mloop" / "mloop.db").exists()
