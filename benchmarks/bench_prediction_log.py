"""Issue 10's prediction-log benchmark: what logging costs a server, and whether the writer keeps up.

    python benchmarks/bench_prediction_log.py [--requests 100000]

100,000 requests of a model with 20 float inputs (prediction + 2 class probabilities), logged
through `PredictionLogger` in batches of 1 and of 64 requests, to the database only (SQLite,
flushes below the spill size) and to Parquet (every flush spilled). The batches are built before
the clock starts: a server has them anyway. Per workload:
- caller µs/request: time inside `logger.log()` (the only cost on the serving path);
- rows/s written: requests / (first log → `close()` returned, everything on disk);
- CPU µs/request: the process's CPU time (caller + writer thread) per request: what logging
  takes from a server's cores (the writer holds the GIL while it encodes, so under load part of
  it shows up as caller time too).
A workload leaves the writer idle until `close()` (one Parquet file at the end): the cost of
`log()` itself. The last ones take a server's path: its answered micro-batches (1 and 64 requests,
one float matrix each) handed to `ProcessPredictionLogger` with `log_later`, as `mloop serve`
does, with the server's settings; there CPU µs/request is split into what the server's process
pays (the append, and its writer thread joining and sending each flush) and what the writer
process pays (decoding, encoding, Parquet, compaction), read from the writer's reported CPU
after a first flush (its imports left out).
Target: under 10 µs per request on the caller's side (< 5% of ~5,000 req/s), and the writer
writing well over 5,000 rows/s. Prints a table and writes benchmarks/results/prediction_log.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import fresh_home, note  # noqa: E402

RESULTS = HERE / "results" / "prediction_log.json"
FEATURES = 20
CALLER_TARGET_US = 10.0
SERVING_RATE = 5_000  # requests/s the writer must keep up with


def batches(requests: int, size: int, inputs_as: str) -> list:
    import numpy as np
    import pandas as pd

    from mloop.serving import PredictionBatch

    rng = np.random.default_rng(0)
    values = rng.random((size, FEATURES))
    columns = {f"f{i}": values[:, i] for i in range(FEATURES)}
    inputs = pd.DataFrame(columns) if inputs_as == "DataFrame" else columns
    prediction = rng.integers(0, 2, size)
    probabilities = rng.random((size, 2))
    made = []
    for start in range(0, requests - requests % size, size):
        ids = [f"r{n}" for n in range(start, start + size)]
        made.append(PredictionBatch(request_ids=ids, model="bench", version=1, inputs=inputs,
                                    outputs={"prediction": prediction, "probabilities": probabilities},
                                    classes=[0, 1], latency_ms=[1.0] * size, training_fingerprint="f" * 64,
                                    deployment="bench-online"))
    return made


def run(requests: int, size: int, sink: str, inputs_as: str) -> dict:
    import mloop
    from mloop.serving import PredictionLogger

    with fresh_home():
        work = batches(requests, size, inputs_as)
        requests = len(work) * size
        if sink == "at close":  # the writer idle until close: log()'s own cost, without a writer competing
            logger = PredictionLogger(flush_rows=10**9, flush_seconds=3600, spill_rows=5000)
        else:
            logger = PredictionLogger(flush_rows=1024 if sink == "database" else 8192, flush_seconds=1.0,
                                      spill_rows=1 if sink == "parquet" else 10**9)
        logger.workspace.check_writable()  # the database exists before the clock starts, as in a server
        cpu, start = time.process_time(), time.perf_counter()
        in_log = 0.0
        for batch in work:
            before = time.perf_counter()
            logger.log(batch)
            in_log += time.perf_counter() - before
        logger.close()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        stats = logger.stats
        logged = len(mloop.predictions(limit=requests + 1))
        if stats.written != requests or logged != requests:
            raise RuntimeError(f"{sink}, batch {size}: wrote {stats.written} of {requests} ({logged} read back)")
        return {"batch": size, "sink": sink, "inputs": inputs_as, "requests": requests,
                "caller_us": in_log / requests * 1e6, "rows_per_s": requests / elapsed,
                "cpu_us": cpu / requests * 1e6, "seconds": elapsed, "errors": stats.errors}


def answered(requests: int, size: int) -> list:
    """A server's answered micro-batches of `size` requests: what `ServingState.record` hands over."""
    import numpy as np

    from mloop.serving.answered import Answered, LoggedModel
    from mloop.serving.models import Job, Predictions

    rng = np.random.default_rng(0)
    model = LoggedModel("bench", 1, "f" * 64, "primary", "bench-online", tuple(f"f{i}" for i in range(FEATURES)))
    made = []
    for start in range(0, requests, size):
        matrix = rng.random((size, FEATURES))
        jobs = [Job([dict(zip(model.columns, row, strict=True))], f"r{start + i}", time.perf_counter())
                for i, row in enumerate(matrix.tolist())]
        outputs = Predictions(rng.integers(0, 2, size), rng.random((size, 2)), [0, 1], matrix)
        made.append(Answered(model, jobs, outputs, time.perf_counter(), time.time()))
    return made


def run_server_path(requests: int, size: int) -> dict:
    import mloop
    from mloop.serving.prediction_writer import ProcessPredictionLogger

    with fresh_home():
        work = answered(requests, size)
        requests = len(work) * size
        logger = ProcessPredictionLogger(flush_rows=8192, flush_seconds=2.0, spill_rows=512)  # mloop serve's
        logger.log_later(answered(1, 1)[0], 1)
        logger.flush()  # the writer process has imported what it needs, the database exists
        writer_cpu = logger.stats.writer_cpu_seconds
        cpu, start = time.process_time(), time.perf_counter()
        in_log = 0.0
        for item in work:
            before = time.perf_counter()
            logger.log_later(item, size)
            in_log += time.perf_counter() - before
        logger.close()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        stats = logger.stats
        logged = len(mloop.predictions(limit=requests + 2))
        if stats.written != requests + 1 or logged != requests + 1:
            raise RuntimeError(f"server path, batch {size}: wrote {stats.written} of {requests + 1} ({logged} read back)")
        return {"batch": size, "sink": "process", "inputs": "matrix", "requests": requests,
                "caller_us": in_log / requests * 1e6, "rows_per_s": requests / elapsed,
                "cpu_us": cpu / requests * 1e6, "writer_process_cpu_us": (stats.writer_cpu_seconds - writer_cpu)
                / requests * 1e6, "seconds": elapsed, "errors": stats.errors}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    requests = parser.parse_args().requests
    rows = []
    for size, sink, inputs_as in ((1, "database", "DataFrame"), (1, "database", "columns"),
                                  (64, "database", "DataFrame"), (1, "parquet", "DataFrame"),
                                  (64, "parquet", "DataFrame"), (1, "at close", "DataFrame")):
        try:
            rows.append(run(requests, size, sink, inputs_as))
        except Exception as error:  # one failed workload leaves the others' figures
            note(f"batch {size} to {sink} failed: {error!r}")
    for size in (1, 64):
        try:
            rows.append(run_server_path(requests, size))
        except Exception as error:
            note(f"server path, batch {size} failed: {error!r}")
    header = f"{'batch':>5}  {'sink':<9} {'inputs':<10} {'caller µs/req':>13} {'rows/s written':>14} " \
             f"{'CPU µs/req':>10} {'writer proc':>11} {'keeps up':>8}"
    print(f"prediction log, {requests:,} requests, {FEATURES} float inputs, {platform.python_version()}")
    print(header)
    print("-" * len(header))
    for row in rows:
        writer = f"{row['writer_process_cpu_us']:.1f}" if "writer_process_cpu_us" in row else "—"
        ok = "yes" if row["caller_us"] < CALLER_TARGET_US and row["rows_per_s"] > SERVING_RATE else "NO"
        print(f"{row['batch']:>5}  {row['sink']:<9} {row['inputs']:<10} {row['caller_us']:>13.2f} "
              f"{row['rows_per_s']:>14,.0f} {row['cpu_us']:>10.1f} {writer:>11} {ok:>8}")
    print(f"target: caller < {CALLER_TARGET_US:.0f} µs/request and > {SERVING_RATE:,} rows/s written; "
          "sink 'process': a server's path (CPU µs/req: the server's process; writer proc: the writer process)")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"requests": requests, "rows": rows}, indent=2) + "\n")
    return 0 if len(rows) == 8 else 1


if __name__ == "__main__":
    sys.exit(main())
