"""The README's prediction-log example, run as a user runs it in a fresh folder: `python
serve_log.py`, then the `mloop predictions` lines."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_prediction_log_example_runs_and_prints_what_it_says(tmp_path: Path) -> None:
    text = README.read_text()
    [block] = re.findall(r"```python\n(# serve_log.py: .*?)```", text, re.S)
    (tmp_path / "serve_log.py").write_text(block)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOOP_")}
    mloop = [sys.executable, "-m", "mloop.cli.main"]

    def run(*args: str) -> str:
        done = subprocess.run(list(args), cwd=tmp_path, env={**env, "COLUMNS": "200"}, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    printed = run(sys.executable, "serve_log.py")
    assert "logged 1 label(s): 1 matched 1 logged prediction(s)" in printed  # customer 7's label -> r1
    assert re.search(r"r1\s+20\.0\s+0\s+0\.0\n.*r2\s+300\.0\s+1\s+1\.0\n.*r3\s+95\.0\s+0\s+NaN", printed, re.S)
    assert "answered by   fraud/1 (primary)" in printed and "(pipeline fraud-training, step train)" in printed
    assert re.search(r"df: artifact [0-9a-f]{64} \([\d,]+ bytes, 500×3", printed)
    listed = run(*mloop, "predictions", "list", "--model", "fraud", "--labels")
    assert "3 prediction(s)" in listed and "r2" in listed
    assert "label         1" in run(*mloop, "predictions", "explain", "r2")
    (tmp_path / "truth.csv").write_text("request_id,fraud\nr3,1\n")
    labelled = run(*mloop, "predictions", "labels", "truth.csv", "--id-column", "request_id", "--label-column",
                   "fraud")
    assert labelled.strip() == "logged 1 label(s): 1 matched 1 logged prediction(s)"
