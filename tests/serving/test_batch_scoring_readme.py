"""The README's batch-scoring example, run as a user runs it in a fresh folder: `python score.py`,
then the `mloop predict` line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_batch_scoring_example_runs_and_prints_what_it_says(tmp_path: Path) -> None:
    text = README.read_text()
    [block] = re.findall(r"```python\n(# score\.py: .*?)```", text, re.S)
    (tmp_path / "score.py").write_text(block)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOOP_")}

    def run(*args: str) -> str:
        done = subprocess.run(list(args), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    printed = run(sys.executable, "score.py").splitlines()
    assert printed == ["10000 1 fraud/1",
                       "['tx_id', 'prediction', 'probability_0', 'probability_1', 'model_version']"]
    assert "prints `10000 1 fraud/1` and `['tx_id', 'prediction', 'probability_0', 'probability_1',\n" \
           "'model_version']`" in text
    [command] = re.findall(r"\$ (mloop predict .*)", text)
    line = run(sys.executable, "-m", "mloop.cli.main", *command.split()[1:]).strip()
    assert re.fullmatch(rf"scored 10,000 rows in [\d.]+ s \([\d,]+ rows/s\) with fraud/1 into "
                        rf"{re.escape(str((tmp_path / 'scores.parquet').resolve()))}", line)
    assert pd.read_parquet(tmp_path / "scores.parquet")["tx_id"].tolist() == list(range(10_000))
