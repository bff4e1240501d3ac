"""The README's monitoring chapter, as a user runs it in a fresh folder after the serving
example: apply monitors.yaml, run them, see the alert, add a webhook, a schedule and a trigger,
one scheduler tick, and `mloop status`."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def mloop(folder: Path, env: dict[str, str], line: str) -> subprocess.CompletedProcess[str]:
    args = shlex.split(line.split("#")[0])[1:]
    return subprocess.run([sys.executable, "-m", "mloop.cli.main", *args], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=300, check=False)


def test_the_readme_monitoring_commands_work_as_written(tmp_path: Path) -> None:
    text = README.read_text()
    [train_fraud] = re.findall(r"```python\n(# train_fraud\.py: .*?)```", text, re.S)
    [train] = re.findall(r"```python\n# train\.py\n(.*?)```", text, re.S)
    [monitors] = re.findall(r"```yaml\n(# monitors\.yaml: .*?)```", text, re.S)
    start = text.index("## Monitoring and continuous training")
    chapter = text[start:text.index("\n## ", start + 1)]  # up to the next chapter (the server's runs forever)
    lines = [line for block in re.findall(r"```bash\n(.*?)```", chapter, re.S) for line in block.splitlines()
             if line.startswith("mloop ")]
    (tmp_path / "train_fraud.py").write_text(train_fraud)
    (tmp_path / "train.py").write_text(train)
    (tmp_path / "monitors.yaml").write_text(monitors)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOOP_")} | {"COLUMNS": "200"}
    trained = subprocess.run([sys.executable, "train_fraud.py"], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=300, check=False)
    assert trained.returncode == 0, trained.stderr

    applied = mloop(tmp_path, env, "mloop monitor apply monitors.yaml")
    assert applied.returncode == 0, applied.stderr
    ran: dict[str, subprocess.CompletedProcess[str]] = {}
    for line in lines:
        if "flows.py" in line or "ingest.py" in line or line.strip() == "mloop scheduler" or line.startswith(
                "mloop scheduler "):
            continue  # files of the reader's own project; the long-running scheduler is run once below
        ran[line] = result = mloop(tmp_path, env, line)
        assert result.returncode == 0, f"{line}: {result.stderr}"

    run_all = next(r for line, r in ran.items() if line.startswith("mloop monitor run --all"))
    assert "fraud-volume" in run_all.stdout and "FAILED" in run_all.stdout  # no traffic yet: under its minimum
    assert "fraud-drift" in run_all.stdout
    open_alerts = next(r for line, r in ran.items() if line.startswith("mloop alerts --status open"))
    assert "fraud-volume" in open_alerts.stdout
    schedules = json.loads(mloop(tmp_path, env, "mloop schedule list --json").stdout)
    assert {s["name"] for s in schedules} >= {"nightly", "monitor:fraud-drift", "monitor:fraud-watch"}
    triggers = json.loads(mloop(tmp_path, env, "mloop trigger list --json").stdout)
    assert [t["name"] for t in triggers] == ["retrain"]
    once = mloop(tmp_path, env, "mloop scheduler --once")
    assert once.returncode == 0, once.stderr
    status = json.loads(mloop(tmp_path, env, "mloop status --json").stdout)
    assert {a["source"] for a in status["alerts"]} >= {"fraud-volume"}
    assert status["decisions"][0]["action"] == "promoted (champion)"
