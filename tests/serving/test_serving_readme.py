"""The README's online serving example, as a user runs it in a fresh folder: `python
train_fraud.py`, then the `mloop serve` line and the `curl` line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from servers import free_port, stop_process

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_serving_example_answers_as_it_says(tmp_path: Path) -> None:
    text = README.read_text()
    [block] = re.findall(r"```python\n(# train_fraud\.py: .*?)```", text, re.S)
    [serve_line] = re.findall(r"^(mloop serve fraud@champion --port 8080) &", text, re.M)
    [curl] = re.findall(r"^(curl -s localhost:8080/predict .*?\n.*?)\n```", text, re.M | re.S)
    (tmp_path / "train_fraud.py").write_text(block)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOOP_")}
    trained = subprocess.run([sys.executable, "train_fraud.py"], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=300)
    assert trained.returncode == 0, trained.stderr

    port = str(free_port())
    args = serve_line.replace("8080", port).split()[1:]
    server = subprocess.Popen([sys.executable, "-m", "mloop.cli.main", *args], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        command = curl.replace("8080", port).replace("\\\n", " ")
        deadline = time.monotonic() + 60
        while True:
            answered = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
            if answered.stdout or time.monotonic() > deadline or server.poll() is not None:
                break
            time.sleep(0.2)
    finally:
        stop_process(server)
    answer = json.loads(answered.stdout)
    assert (answer["model_version"], answer["predictions"], answer["classes"]) == ("fraud/1", [1], [0, 1])
    assert len(answer["probabilities"][0]) == 2 and answer["probabilities"][0][1] > 0.5
    assert 'answers `{"request_id": "…", "model_version": "fraud/1", "predictions": [1]' in text
