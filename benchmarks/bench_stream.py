"""Issue 10's stream consumer benchmark: `mloop.StreamScorer` on a Redis Stream, end to end.

    python benchmarks/bench_stream.py

Workload: 100,000 entries of 20 float features (one text field per column, as producers write
them) in a Redis Stream; a scikit-learn HistGradientBoostingClassifier (max_iter=100, trained on
20,000 rows) registered in a temporary workspace. Each measurement reads every entry through a
consumer group of its own, converts and checks it against the signature, predicts, XADDs one
result per entry (prediction, probabilities) and acknowledges it; rows/s is entries / wall time
from the first read to the last acknowledgement (writing the inputs and loading the model are
not timed).
- one consumer in this process at batch sizes 64, 256 and 1024;
- two consumer processes in one group (batch 256), timed from the signal that starts both to
  the 100,000th result in the sink;
- beside them, a hand-written redis-py consumer doing the same work with no checks (batch 256):
  what the signature checks, dead-letter handling and bookkeeping cost.
Every consumer predicts on one thread (OMP_NUM_THREADS=1, unless set): on a busy machine OpenMP
threads that wait on each other cost more than they bring to a batch of a few hundred rows, and
two processes then share the cores as any two workers would. The data is cached under ~/.cache/mloop-bench/data; the streams are deleted afterwards. Redis is
the one at 127.0.0.1:6379 (MLOOP_BENCH_REDIS_URL). Prints a table, writes
benchmarks/results/stream.json.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import fresh_home, note  # noqa: E402

RESULTS = HERE / "results" / "stream.json"
DATA = Path.home() / ".cache" / "mloop-bench" / "data" / "stream-100k-20f.npz"
REDIS_URL = os.environ.get("MLOOP_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
ENTRIES = 100_000
FEATURES = 20
TRAIN_ROWS = 20_000
BATCH_SIZES = (64, 256, 1024)
PROCESS_BATCH = 256
COLUMNS = [f"f{i}" for i in range(FEATURES)]


def data() -> tuple[np.ndarray, np.ndarray]:
    """The features and labels, generated once and cached (written to a temp file, then renamed)."""
    if not DATA.exists():
        rng = np.random.default_rng(10)
        features = rng.standard_normal((ENTRIES, FEATURES))
        weights = rng.standard_normal(FEATURES)
        labels = (features @ weights + rng.normal(0, 1, ENTRIES) > 0).astype(np.int64)
        DATA.parent.mkdir(parents=True, exist_ok=True)
        partial = DATA.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(partial, features=features, labels=labels)
        partial.replace(DATA)
    with np.load(DATA) as stored:
        return stored["features"], stored["labels"]


def register(features: np.ndarray, labels: np.ndarray) -> str:
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier

    import mloop

    frame = pd.DataFrame(features[:TRAIN_ROWS], columns=COLUMNS)
    model = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(frame, labels[:TRAIN_ROWS])
    return mloop.register_model("stream-bench", model, training_data=frame).ref


def fill(client: Any, stream: str, features: np.ndarray) -> None:
    chunk = 2_000
    for start in range(0, len(features), chunk):
        pipe = client.pipeline(transaction=False)
        for row in features[start:start + chunk].tolist():
            pipe.xadd(stream, dict(zip(COLUMNS, map(repr, row), strict=True)))
        pipe.execute()


def in_process(ref: str, source: str, sink: str, batch_size: int, client: Any, sink_stream: str) -> dict:
    import mloop

    with mloop.StreamScorer(ref, source, sink, group=f"bench-{batch_size}", consumer="bench",
                            batch_size=batch_size) as scorer:
        stats = scorer.run(max_entries=ENTRIES)
    if client.xlen(sink_stream) != ENTRIES or stats.scored != ENTRIES:
        raise RuntimeError(f"{stats.scored} scored, {client.xlen(sink_stream)} results, expected {ENTRIES}")
    return {"rows_per_s": stats.rows_per_s, "seconds": stats.seconds, "batches": stats.batches}


def processes(ref: str, source: str, sink: str, client: Any, sink_stream: str, count: int = 2) -> dict:
    go = f"mloop-bench-go-{uuid.uuid4().hex[:8]}"
    workers = [subprocess.Popen([sys.executable, __file__, "--worker", ref, source, sink, f"worker-{n}", go],
                                stdout=subprocess.PIPE, text=True) for n in range(count)]
    try:
        for worker in workers:  # each has loaded the model and reached Redis
            assert worker.stdout is not None
            if worker.stdout.readline().strip() != "ready":
                raise RuntimeError("a worker failed to start")
        start = time.perf_counter()
        client.rpush(go, *["go"] * count)
        while client.xlen(sink_stream) < ENTRIES:
            time.sleep(0.005)
        seconds = time.perf_counter() - start
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=120)[0] for worker in workers]
        client.delete(go)
    shares = [json.loads(out.strip().splitlines()[-1])["scored"] for out in outputs]
    return {"rows_per_s": ENTRIES / seconds, "seconds": seconds, "scored_per_process": shares}


def worker(ref: str, source: str, sink: str, name: str, go: str) -> None:
    import mloop

    with mloop.StreamScorer(ref, source, sink, group="bench-processes", consumer=name,
                            batch_size=PROCESS_BATCH) as scorer:
        print("ready", flush=True)
        scorer._source_client.blpop([go])  # every worker starts at the same signal
        stats = scorer.run()
    print(json.dumps(stats.to_dict()), flush=True)


def hand_written(ref: str, client: Any, source_stream: str, sink_stream: str) -> dict:
    """The least a consumer must do: read, frame, predict_proba, XADD, XACK; no checks at all."""
    import pandas as pd

    import mloop

    model = mloop.load_model(ref).model
    group = "bench-hand-written"
    client.xgroup_create(source_stream, group, id="0")
    done = 0
    start = time.perf_counter()
    while done < ENTRIES:
        reply = client.xreadgroup(group, "bench", {source_stream: ">"}, count=PROCESS_BATCH)
        entries = reply[0][1]
        ids = [entry_id for entry_id, _ in entries]
        frame = pd.DataFrame([fields for _, fields in entries], columns=COLUMNS).astype("float64")
        probabilities = model.predict_proba(frame)
        predictions = probabilities.argmax(axis=1)
        pipe = client.pipeline(transaction=False)
        for entry_id, label, p in zip(ids, predictions.tolist(), probabilities.tolist(), strict=True):
            pipe.xadd(sink_stream, {"id": entry_id, "prediction": label, "probabilities": json.dumps(p)})
        pipe.execute()
        client.xack(source_stream, group, *ids)
        done += len(ids)
    seconds = time.perf_counter() - start
    return {"rows_per_s": ENTRIES / seconds, "seconds": seconds}


def measure() -> dict:
    import redis

    features, labels = data()
    tag = uuid.uuid4().hex[:8]
    source_stream = f"mloop-bench-{tag}:tx"
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    client.ping()
    created: list[str] = [source_stream]
    figures: dict[str, Any] = {}
    try:
        with fresh_home():
            ref = register(features, labels)
            note(f"writing {ENTRIES:,} entries to {source_stream} (not timed)")
            fill(client, source_stream, features)
            source = f"{REDIS_URL}?stream={source_stream}"
            for batch_size in BATCH_SIZES:
                sink_stream = f"mloop-bench-{tag}:scores-{batch_size}"
                created += [sink_stream, sink_stream + ":dead"]
                figures[f"batch_{batch_size}"] = in_process(ref, source, f"{REDIS_URL}?stream={sink_stream}",
                                                            batch_size, client, sink_stream)
                client.delete(sink_stream)
                note(f"batch {batch_size}: {figures[f'batch_{batch_size}']['rows_per_s']:,.0f} rows/s")
            sink_stream = f"mloop-bench-{tag}:scores-processes"
            created += [sink_stream, sink_stream + ":dead"]
            figures["two_processes"] = processes(ref, source, f"{REDIS_URL}?stream={sink_stream}", client,
                                                 sink_stream)
            client.delete(sink_stream)
            sink_stream = f"mloop-bench-{tag}:scores-hand-written"
            created.append(sink_stream)
            figures["hand_written"] = hand_written(ref, client, source_stream, sink_stream)
    finally:
        client.delete(*created)
        client.close()
    return figures


def print_table(figures: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Stream scoring (issue 10): {ENTRIES:,} entries × {FEATURES} floats, "
                        "HistGradientBoostingClassifier(max_iter=100), Redis Streams, end to end")
    table.add_column("consumer")
    table.add_column("batch", justify="right")
    table.add_column("rows/s", justify="right")
    table.add_column("seconds", justify="right")
    for batch_size in BATCH_SIZES:
        row = figures[f"batch_{batch_size}"]
        table.add_row("mloop, 1 consumer (in-process)", str(batch_size), f"{row['rows_per_s']:,.0f}",
                      f"{row['seconds']:.1f}")
    row = figures["two_processes"]
    shares = " + ".join(f"{n:,}" for n in row["scored_per_process"])
    table.add_row(f"mloop, 2 consumer processes ({shares})", str(PROCESS_BATCH), f"{row['rows_per_s']:,.0f}",
                  f"{row['seconds']:.1f}")
    row = figures["hand_written"]
    table.add_row("hand-written redis-py loop, no checks", str(PROCESS_BATCH), f"{row['rows_per_s']:,.0f}",
                  f"{row['seconds']:.1f}")
    console = Console()
    if not console.is_terminal:
        console = Console(width=150)
    console.print(table)


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # before scikit-learn loads; the workers inherit it
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(*sys.argv[2:7])
        return
    load = os.getloadavg()
    if load[0] > 0.5 * (os.cpu_count() or 1):
        note(f"the machine is busy (load average {load[0]:.1f}): timings will be noisy")
    try:
        figures = measure()
    except Exception as error:  # no Redis here: say so, print nothing misleading
        note(f"the stream benchmark did not run: {error}")
        raise SystemExit(1) from None
    print_table(figures)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "benchmark": "stream",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_start": load},
        "workload": {"entries": ENTRIES, "features": FEATURES, "train_rows": TRAIN_ROWS,
                     "omp_num_threads": os.environ["OMP_NUM_THREADS"], "model":
                     "HistGradientBoostingClassifier(max_iter=100)", "redis_url": REDIS_URL},
        "results": figures,
    }, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
