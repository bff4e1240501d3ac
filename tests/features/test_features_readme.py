"""The README's feature-store example, run as a user runs it in a fresh folder: make the data,
`mloop features apply features.py`, `python train.py`, then the CLI lines."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_feature_store_example_runs_and_prints_what_it_says(tmp_path: Path) -> None:
    text = README.read_text()
    for name in ("make_data.py", "features.py", "train.py"):
        [block] = re.findall(rf"```python\n(# {re.escape(name)}: .*?)```", text, re.S)
        (tmp_path / name).write_text(block)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOOP_")}
    mloop = [sys.executable, "-m", "mloop.cli.main"]

    def run(*args: str) -> str:
        done = subprocess.run(list(args), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run(sys.executable, "make_data.py")
    assert "applied 4 definition(s): 4 new" in run(*mloop, "features", "apply", "features.py")
    printed = run(sys.executable, "train.py").splitlines()
    assert printed == ["1", "[87.77] ['present']"]
    run(*mloop, "features", "training-set", "data/labels.parquet", "-f", "fraud_v1", "-o", "train.parquet")
    shown = run(*mloop, "features", "get", "-e", "customer_id=7", "-e", "amount=50", "-f", "fraud_v1", "--now",
                "2026-11-21T00:00:00Z")
    assert "87.77" in shown and "present" in shown
    assert (tmp_path / "train.parquet").exists() and (tmp_path / ".mloop" / "online.db").exists()
