"""Ctrl-C stops a long DuckDB query at once and leaves nothing busy (a query runs in a helper
thread while the main thread waits, so the interrupt reaches it)."""

from __future__ import annotations

import os
import signal
import threading

import pyarrow as pa
import pytest

from mloop.quality.inputs import open_data


def test_ctrl_c_interrupts_a_long_query_and_the_data_closes_cleanly() -> None:
    data = open_data(pa.table({"a": [1, 2, 3]}))
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):  # the query below would run for minutes
            data.query("SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3")
    finally:
        timer.cancel()
    assert data.query_one(f"SELECT sum(a) FROM {data.table}") == (6,)  # the connection is free again
    data.close()
