"""`mloop stream` as a user runs it: real consumer processes killed with SIGKILL and restarted,
two processes sharing one stream, SIGTERM ending a consumer cleanly, and the setup errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import serving_models
from redis_streams import Streams, streams, wait_for
from typer.testing import CliRunner

import mloop
from mloop.cli.main import app
from servers import free_port


@pytest.fixture
def names() -> Iterator[Streams]:
    with streams() as made:
        yield made


def start(names: Streams, *options: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    script = Path(sys.executable).with_name("mloop")
    return subprocess.Popen([str(script), "stream", "fraud@champion", "--source", names.source_url,
                             "--sink", names.sink_url, *options], env=env or dict(os.environ), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def terminate(process: subprocess.Popen[str]) -> tuple[str, str]:
    """SIGTERM, as a supervisor stops a consumer: it finishes its batch and prints its summary."""
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out, err


def everything_scored(names: Streams, ids: list[str]) -> bool:
    return names.client.xlen(names.sink) >= len(ids) and names.scored_ids() >= set(ids) and names.pending() == 0


def test_kill_9_mid_stream_then_restart_leaves_no_entry_unscored(fraud: mloop.ModelVersion, names: Streams) -> None:
    ids = names.add(serving_models.sample_records(4000, seed=20), form="data")
    first = start(names, "--consumer", "worker-1", "--batch-size", "10")
    try:
        wait_for(lambda: names.client.xlen(names.sink) >= 200, "the first consumer scored some entries")
        first.kill()  # SIGKILL: no batch finished, nothing cleaned up
    finally:
        first.kill()
        first.communicate(timeout=30)
    assert first.returncode == -signal.SIGKILL
    scored_before = names.scored_ids()
    assert 200 <= len(scored_before) < len(ids)  # it really died mid-stream

    second = start(names, "--consumer", "worker-1", "--batch-size", "100")
    try:
        wait_for(lambda: everything_scored(names, ids), "every input has a score and nothing is pending")
    finally:
        out, _ = terminate(second)

    results = names.results()
    assert {r["id"] for r in results} == set(ids)  # none missing (a duplicate would be allowed)
    assert names.pending() == 0
    assert out.startswith("scored ") and "as worker-1 in group mloop; 0 pending in the group" in out
    # every result is the model's own answer for its input
    model = mloop.load_model("fraud@champion")
    records = {entry_id: json.loads(fields["data"]) for entry_id, fields in names.client.xrange(names.source)}
    sample = results[:: max(1, len(results) // 50)]
    expected = model.predict([records[r["id"]] for r in sample])
    assert [int(r["prediction"]) for r in sample] == expected.tolist()


def test_two_consumer_processes_share_one_stream(fraud: mloop.ModelVersion, names: Streams) -> None:
    workers = [start(names, "--consumer", name, "--batch-size", "20", "--json") for name in ("a", "b")]
    try:
        def both_listening() -> bool:
            try:
                found = names.client.xinfo_consumers(names.source, "mloop")
            except Exception:  # the group does not exist yet
                return False
            return {c["name"] for c in found} == {"a", "b"}

        wait_for(both_listening, "both consumers read from the group")
        ids = []
        for chunk in range(20):
            ids += names.add(serving_models.sample_records(100, seed=100 + chunk))
        wait_for(lambda: everything_scored(names, ids), "every input has a score")
    finally:
        outputs = [terminate(worker)[0] for worker in workers]

    summaries = [json.loads(out) for out in outputs]
    assert [s["consumer"] for s in summaries] == ["a", "b"]
    assert all(s["scored"] > 0 for s in summaries)  # both did work
    assert sum(s["scored"] for s in summaries) == len(ids) == 2000  # each entry scored once, by one of them
    assert sorted(r["id"] for r in names.results()) == sorted(ids)
    assert all(s["pending"] == 0 and s["stopped_by"] == "stop" for s in summaries)


def test_max_entries_and_json_summary(fraud: mloop.ModelVersion, names: Streams) -> None:
    names.add(serving_models.sample_records(30, seed=21))
    result = CliRunner().invoke(app, ["stream", "fraud@champion", "--source", names.source_url, "--sink",
                                      names.sink_url, "--max-entries", "25", "--batch-size", "10", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["scored"], summary["batches"], summary["stopped_by"]) == (25, 3, "max_entries")
    assert (summary["model_version"], summary["group"], summary["pending"]) == ("fraud/1", "mloop", 0)
    assert names.client.xlen(names.sink) == 25


def error_of(*args: str) -> str:
    result = CliRunner().invoke(app, ["stream", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_setup_errors_are_one_line_and_exit_2(fraud: mloop.ModelVersion, names: Streams) -> None:
    source, sink = names.source_url, names.sink_url
    assert error_of("nope@champion", "--source", source, "--sink", sink) == \
        "error: no model 'nope'; list them with: mloop models list"
    assert error_of("fraud@champion", "--source", "http://127.0.0.1:6379/0?stream=tx", "--sink", sink) == \
        ("error: source 'http://127.0.0.1:6379/0?stream=tx' is not a Redis stream URL; "
         "use e.g. redis://127.0.0.1:6379/0?stream=tx")
    assert error_of("fraud@champion", "--source", source, "--sink", "redis://127.0.0.1:6379/0") == \
        ("error: sink 'redis://127.0.0.1:6379/0' names no stream; add ?stream=NAME, "
         "e.g. redis://127.0.0.1:6379/0?stream=scores")
    nowhere = f"redis://127.0.0.1:{free_port()}/0?stream=tx"
    message = error_of("fraud@champion", "--source", nowhere, "--sink", sink)
    assert message.startswith(f"error: Redis at {nowhere} is not reachable (")
    assert message.endswith("); start it or fix the URL")
    assert error_of("fraud@champion", "--source", source, "--sink", sink, "--batch-size", "0") == \
        "error: batch_size must be a whole number >= 1, got 0"
    assert not names.client.exists(names.source, names.sink)  # nothing was created


def test_missing_redis_extra_names_the_install_command(fraud: mloop.ModelVersion, names: Streams,
                                                       tmp_path: Path) -> None:
    hidden = tmp_path / "no-redis" / "redis"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError(\"No module named 'redis'\")\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(hidden.parent), os.environ.get("PYTHONPATH", "")]))
    process = start(names, env=env)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert err.splitlines() == ["error: redis is not installed; install it with: pip install 'mloop[redis]'"]
