"""Reading a Dataset's columns for profiles and drift in bounded memory: numeric columns as sorted
numpy blocks of a few columns at a time, category counts of many columns in one DuckDB query
(UNPIVOT + GROUP BY), and the per-column counts (plus datetime min/max) in one aggregate."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from mloop.quality import stats
from mloop.quality.inputs import Dataset, quote

#: bytes of float64 values held per block of numeric columns (one side)
BLOCK_BYTES = 32 * 2**20
#: columns per SQL statement for the wide queries
COLUMNS_PER_QUERY = 200


class Categories(NamedTuple):
    values: list[str]
    counts: np.ndarray
    #: values of the column beyond the kept top values
    other: int


def block_size(rows: int) -> int:
    """Numeric columns of `rows` rows per block."""
    return max(1, BLOCK_BYTES // max(8 * rows, 1))


def numeric_blocks(data: Dataset, names: list[str], per_block: int | None = None
                   ) -> Iterator[tuple[list[str], np.ndarray, np.ndarray]]:
    """(names, sorted values rows × k with NaN for missing and non-finite values last, finite counts)
    for the numeric columns `names`, `per_block` columns at a time."""
    per_block = per_block or block_size(data.rows)
    for start in range(0, len(names), per_block):
        block = names[start:start + per_block]
        table = data.query("SELECT " + ", ".join(f"CAST({quote(n)} AS DOUBLE)" for n in block)
                           + f" FROM {data.table}")
        # column-major, so each column is contiguous for its sort and reductions
        values = np.empty((len(block), table.num_rows))
        for j, column in enumerate(table.columns):
            values[j] = column.to_numpy()
        ordered, counts = stats.sorted_columns(values.T)
        yield block, ordered, counts


def non_null_counts(data: Dataset, names: list[str], *, datetimes: frozenset[str] = frozenset()
                    ) -> dict[str, tuple[int, str | None, str | None]]:
    """(non-null count, min, max) of each column; min and max only for `datetimes`, as text."""
    result: dict[str, tuple[int, str | None, str | None]] = {}
    for start in range(0, len(names), COLUMNS_PER_QUERY):
        block = names[start:start + COLUMNS_PER_QUERY]
        parts = []
        for name in block:
            column = quote(name)
            parts.append(f"count({column})")
            if name in datetimes:
                parts += [f"CAST(min({column}) AS VARCHAR)", f"CAST(max({column}) AS VARCHAR)"]
        row = list(data.query_one(f"SELECT {', '.join(parts)} FROM {data.table}"))
        for name in block:
            count = int(row.pop(0))
            low, high = (row.pop(0), row.pop(0)) if name in datetimes else (None, None)
            result[name] = (count, low, high)
    return result


def category_counts(data: Dataset, names: list[str], counts: dict[str, int], *, top: int | None = None
                    ) -> dict[str, Categories]:
    """The value counts of each column, most frequent first (ties by value), as text; with `top`
    only that many values are kept and the rest of the column's `counts[name]` values is `other`."""
    result = {name: Categories([], np.zeros(0, np.int64), 0) for name in names}
    for start in range(0, len(names), COLUMNS_PER_QUERY):
        block = names[start:start + COLUMNS_PER_QUERY]
        aliases = {f"c{i}": name for i, name in enumerate(block)}
        select = ", ".join(f"CAST({quote(name)} AS VARCHAR) AS {alias}" for alias, name in aliases.items())
        cap = "" if top is None else f"QUALIFY row_number() OVER (PARTITION BY name ORDER BY n DESC, value) <= {top}"
        table = data.query(
            f"WITH pairs AS (UNPIVOT (SELECT {select} FROM {data.table}) ON COLUMNS(*) INTO NAME name VALUE value), "
            "counted AS (SELECT name, value, count(*) AS n FROM pairs GROUP BY ALL) "
            f"SELECT name, value, n FROM counted {cap} ORDER BY name, n DESC, value")
        if table.num_rows == 0:
            continue
        column_names = table.column("name").to_numpy(zero_copy_only=False)
        values = table.column("value").to_pylist()
        numbers = table.column("n").to_numpy()
        starts = np.concatenate([[0], np.flatnonzero(column_names[1:] != column_names[:-1]) + 1])
        ends = np.append(starts[1:], len(column_names))
        for begin, end in zip(starts, ends, strict=True):
            name = aliases[str(column_names[begin])]
            kept = numbers[begin:end].astype(np.int64)
            result[name] = Categories(values[begin:end], kept, int(counts[name] - kept.sum()))
    return result
