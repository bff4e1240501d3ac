"""pandas DataFrame -> Arrow table for the Parquet materializer, with a fast path for the common
plain frame (default RangeIndex, unique string column names, numeric or bool numpy columns).

`pa.Table.from_pandas` spends about 0.1 ms a column in Python working out the schema and the
pandas metadata, more than converting a thousand rows. For a plain frame both depend only on its
layout (names, dtypes, index range), so the schema of the first frame of a layout is kept and
later frames of that layout are converted column by column into it: the table, and so the
Parquet bytes and the digest, are exactly those `from_pandas` gives (a test compares them).
"""

from __future__ import annotations

import threading
from typing import Any

_SCHEMAS: dict[tuple[Any, ...], Any] = {}
_SCHEMAS_LOCK = threading.Lock()
_MAX_SCHEMAS = 256


def frame_to_table(frame: Any) -> Any:
    import pyarrow as pa

    plain = _plain_columns(frame)
    if plain is not None:
        layout, arrays = plain
        schema = _SCHEMAS.get(layout)
        if schema is not None:
            # from_pandas=True: NaN in a float column becomes null, as from_pandas stores it
            return pa.Table.from_arrays([pa.array(a, from_pandas=True) for a in arrays], schema=schema)
    # pyarrow converts columns in a fresh thread pool for any frame over 100 rows a column;
    # below a million cells starting those threads costs more than the conversion.
    small = frame.shape[0] * max(1, frame.shape[1]) < 1_000_000
    table = pa.Table.from_pandas(frame, preserve_index=None, nthreads=1 if small else None)
    if plain is not None:
        with _SCHEMAS_LOCK:
            if len(_SCHEMAS) >= _MAX_SCHEMAS:
                _SCHEMAS.clear()
            _SCHEMAS[plain[0]] = table.schema
    return table


def _plain_columns(frame: Any) -> tuple[tuple[Any, ...], list[Any]] | None:
    """(layout, column arrays) of a plain frame: the layout is what its schema and pandas metadata
    depend on. None for any other frame, or a pandas without the column accessor."""
    import numpy as np
    import pandas as pd

    index, columns = frame.index, frame.columns
    column_array = getattr(frame, "_get_column_array", None)  # a column's values, without a Series
    if column_array is None or type(index) is not pd.RangeIndex or isinstance(columns, pd.MultiIndex) or frame.attrs:
        return None
    names = tuple(columns)
    if not names or not all(type(name) is str for name in names) or len(set(names)) != len(names):
        return None
    arrays = [column_array(i) for i in range(len(names))]
    for array in arrays:
        if type(array) is not np.ndarray or array.ndim != 1:
            return None
        dtype = array.dtype
        if dtype.kind not in "biuf" or not dtype.isnative or (dtype.kind == "f" and dtype.itemsize < 4):
            return None  # half floats, datetimes, objects...: left to from_pandas
    layout = (names, tuple(a.dtype.str for a in arrays), index.start, index.stop, index.step, index.name,
              columns.name, str(columns.dtype))
    return layout, arrays
