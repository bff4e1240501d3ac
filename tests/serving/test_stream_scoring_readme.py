"""The README's streaming example, run as a user runs it in a fresh folder: `python fraud.py` (the
registry example), `python produce.py`, then `mloop stream ... --max-entries 3` (on streams named
for this test, so that it shares nothing on the Redis server)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from redis_streams import streams

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_streaming_example_scores_and_dead_letters(tmp_path: Path) -> None:
    text = README.read_text()
    [fraud] = re.findall(r"```python\n(# fraud\.py: .*?)```", text, re.S)
    [produce] = re.findall(r"```python\n(# produce\.py: .*?)```", text, re.S)
    [command] = re.findall(r"```bash\n(mloop stream .*?)\n#", text, re.S)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOOP_")}

    def run(*args: str) -> str:
        done = subprocess.run(list(args), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    with streams() as names:
        # its last line shows a ValidationError on purpose
        (tmp_path / "fraud.py").write_text("\n".join(line for line in fraud.splitlines() if '"age"])' not in line))
        (tmp_path / "produce.py").write_text(produce.replace('"tx"', f'"{names.source}"'))
        run(sys.executable, "fraud.py")
        run(sys.executable, "produce.py")
        args = command.replace("\\\n", " ").replace("stream=tx", f"stream={names.source}")
        args = args.replace("stream=scores", f"stream={names.sink}").replace("'", "").split()
        assert args[:2] == ["mloop", "stream"]
        printed = run(sys.executable, "-m", "mloop.cli.main", *args[1:])

        assert printed.startswith(f"scored 2 entries of {names.source} with fraud/1 into {names.sink} in ")
        assert f"; 1 rejected into {names.dead}; 0 pending in the group" in printed
        results = names.results()
        assert [r.get("request_id") for r in results] == ["r-1", None]
        assert all(r["prediction"] in ("0", "1") and r["model_version"] == "fraud/1" for r in results)
        [dead] = names.results(names.dead)
        assert dead["error"] == "'amount' is 'lots', expected a number (float)"
