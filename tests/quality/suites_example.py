"""Data and helpers shared by the suite, check and validate tests: a realistic transactions frame,
custom checks importable as 'suites_example:<name>', and a DuckDB connection that counts queries."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mloop.quality.inputs import Dataset, open_data

NOW = pd.Timestamp("2024-05-01T12:00:00Z").to_pydatetime()


def transactions(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """Card transactions: a key, amounts, a category with skewed shares, emails, event times, a
    nullable score."""
    rng = np.random.default_rng(seed)
    minutes = rng.integers(0, 72 * 60, rows)
    minutes[rows // 2] = 0  # the newest event is at midnight, 2024-05-01
    return pd.DataFrame({
        "tx_id": np.arange(1, rows + 1, dtype="int64"),
        "customer_id": rng.integers(1, 50, rows),
        "amount": rng.gamma(2.0, 40.0, rows).round(2),
        "country": rng.choice(["DE", "FR", "NO"], rows, p=[0.5, 0.3, 0.2]),
        "email": [f"user{i}@example.com" for i in rng.integers(0, 10_000, rows)],
        "event_time": pd.Timestamp("2024-05-01T00:00:00") - pd.to_timedelta(minutes, "min"),
        "score": np.where(rng.random(rows) < 0.1, np.nan, rng.random(rows)),
    })


def customers(rows: int = 49) -> pd.DataFrame:
    return pd.DataFrame({"id": np.arange(1, rows + 1, dtype="int64"), "segment": ["retail"] * rows})


def amounts_positive(data: Dataset) -> bool:
    return bool(data.query_one(f"SELECT min(amount) > 0 FROM {data.table}")[0])


def total_amount(data: Dataset) -> tuple[bool, float]:
    total = data.query_one(f"SELECT sum(amount) FROM {data.table}")[0]
    return total < 1_000_000, total


def big_amounts(data: Dataset) -> dict[str, Any]:
    rows = data.query(f"SELECT tx_id, amount FROM {data.table} WHERE amount > 1000 ORDER BY tx_id LIMIT 3")
    count = data.query_one(f"SELECT count(*) FROM {data.table} WHERE amount > 1000")[0]
    return {"passed": count == 0, "observed": {"big": count}, "failing": count, "sample": rows,
            "message": f"{count} amounts above 1000"}


not_callable = 42


class CountingConnection:
    """A real DuckDB connection that counts the statements run through it."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self.statements: list[str] = []

    def sql(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self.statements.append(query)
        return self._connection.sql(query, *args, **kwargs)

    def execute(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self.statements.append(query)
        return self._connection.execute(query, *args, **kwargs)

    def scans(self) -> list[str]:
        """The statements that read the data (not DESCRIBE or view bookkeeping)."""
        return [s for s in self.statements if " FROM mloop_data" in s]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def counted(data: Any) -> tuple[Dataset, CountingConnection]:
    dataset = open_data(data)
    counter = CountingConnection(dataset.connection)
    dataset.connection = counter
    return dataset, counter
