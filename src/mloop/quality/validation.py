"""Validating data against a suite, in as few reads of the data as the checks allow.

    report = validate("events/", "suite.yaml")          # or a DataFrame, and a Suite or list of checks
    report.passed, report.summary()                     # no error-severity check failed
    report.raise_for_errors()                           # DataValidationError carrying the report

The queries, in order:
1. one aggregate query (a single scan) for every check at once; a suite of more than 4,000
   aggregate expressions (about 1,000 columns) is split into one scan per 4,000;
2. one anti-join per referential check, and whatever a custom check runs;
3. only when checks failed, one more scan that samples the offending rows of all of them together,
   streamed and stopped as soon as each has `sample_rows` rows.
Before any of it, the suite is checked against the data's columns and types, so a suite naming a
column that is not there, or a range on a string column, is one clear error and no wasted scan.
"""

from __future__ import annotations

import difflib
import os
from datetime import datetime
from typing import Any

from mloop.core.clock import utcnow
from mloop.core.errors import ValidationError
from mloop.quality.checks import CheckBase, Context, Outcome, TypeCheck
from mloop.quality.checks.base import as_utc, parse_time
from mloop.quality.inputs import Dataset, duckdb_module, open_data, quote
from mloop.quality.report import CheckResult, ValidationReport, json_safe
from mloop.quality.suite import Suite, as_suite

#: aggregate expressions per scan (DuckDB plans a few thousand in well under a second)
BATCH = 4000
#: a table this narrow shows whole rows in samples; a wider one only the check's columns
WHOLE_ROWS = 30


def validate(data: Any, suite: Suite | str | os.PathLike[str] | list[Any], *, now: datetime | str | None = None,
             sample_rows: int = 5) -> ValidationReport:
    """Run every check of `suite` on `data` (a pandas, polars or pyarrow table, or a Parquet file,
    folder or glob) and report each: observed and expected values, pass or fail, and up to
    `sample_rows` offending rows of a failed check. `now` is the time freshness checks measure
    from (default: the current time). A failed check never raises: read `report.passed`, or call
    `report.raise_for_errors()`; problems with the suite or the data raise ValidationError first."""
    checks = as_suite(suite)
    if sample_rows < 0:
        raise ValidationError(f"sample_rows must be 0 or more, not {sample_rows}")
    try:
        moment = utcnow() if now is None else as_utc(parse_time(now))
    except ValueError as exc:
        raise ValidationError(f"now {exc}") from None
    dataset = open_data(data)
    try:
        return _Validation(dataset, checks, moment, sample_rows).run()
    finally:
        if dataset is not data:
            dataset.close()


class _Validation:
    def __init__(self, data: Dataset, suite: Suite, now: datetime, sample_rows: int) -> None:
        self.data = data
        self.suite = suite
        self.sample_rows = sample_rows
        folder = suite.source.resolve().parent if suite.source is not None else None
        self.context = Context(data, now, folder)
        self.outcomes: dict[int, Outcome] = {}
        self.not_run: set[int] = set()

    def run(self) -> ValidationReport:
        self._refuse_missing_columns()
        try:
            runnable = self._prepare()
            values, rows = self._scan(runnable)
            for check, found in zip(runnable, values, strict=True):
                self.outcomes[id(check)] = check.evaluate(found, rows, self.context)
            samples = self._samples(rows)
        finally:
            self._detach()
        return ValidationReport(suite=self.suite.name, data=self.data.name, rows=rows, now=self.context.now,
                                results=self._results(samples))

    def _refuse_missing_columns(self) -> None:
        present = [c.name for c in self.data.columns]
        known = set(present)
        missing = list(dict.fromkeys(n for check in self.suite for n in check.used_columns() if n not in known))
        if not missing:
            return
        named = []
        for name in missing:
            close = difflib.get_close_matches(name, present, n=1)
            named.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        shown = ", ".join(present[:20]) + (f", ... ({len(present)} in all)" if len(present) > 20 else "")
        raise ValidationError(f"suite {self.suite.name!r} names column{'s' * (len(missing) > 1)} that "
                              f"{self.data.name} does not have: {', '.join(named)}; its columns: {shown}; "
                              "fix the suite or the data")

    def _prepare(self) -> list[CheckBase]:
        """The checks to scan for; a check that does not fit its column is refused, unless a failed
        type check on that column already says so (then it is reported as not run)."""
        column = self.context.column
        mistyped = {check.column: column(check.column) for check in self.suite
                    if isinstance(check, TypeCheck) and column(check.column).kind != check.kind}
        runnable = []
        for check in self.suite:
            try:
                check.prepare(self.context)
            except ValidationError as exc:
                columns = [mistyped[c] for c in check.used_columns() if c in mistyped]
                if not columns:
                    raise
                self.outcomes[id(check)] = Outcome(False, None, f"not run: {columns[0].name!r} is "
                                                   f"{columns[0].type} (see its type check); {exc}")
                self.not_run.add(id(check))
                continue
            runnable.append(check)
        return runnable

    def _scan(self, checks: list[CheckBase]) -> tuple[list[list[Any]], int]:
        """Each check's aggregate values, from as few scans as BATCH allows, and the row count."""
        expressions: dict[str, int] = {"count(*)": 0}
        wanted = [[expressions.setdefault(e, len(expressions)) for e in check.aggregates(self.context)]
                  for check in checks]
        ordered = list(expressions)
        found: list[Any] = []
        for start in range(0, len(ordered), BATCH):
            batch = ordered[start:start + BATCH]
            select = ", ".join(f"{sql} AS a{start + i}" for i, sql in enumerate(batch))
            row = self.data.query(f"SELECT {select} FROM {self.data.table}").to_pylist()[0]
            found += [row[f"a{start + i}"] for i in range(len(batch))]
        return [[found[i] for i in indices] for indices in wanted], int(found[0])

    def _samples(self, rows: int) -> dict[int, list[dict[str, Any]]]:
        """Up to sample_rows offending rows of each failed check, from one streamed scan that stops
        as soon as every check has its rows."""
        failed = [check for check in self.suite if not self.outcomes[id(check)].passed
                  and self.outcomes[id(check)].sample is None and id(check) not in self.not_run]
        predicates = {id(check): check.offending(self.context) for check in failed}
        failed = [check for check in failed if predicates[id(check)]]
        if not failed or not self.sample_rows or not rows:
            return {}
        narrow = len(self.data.columns) <= WHOLE_ROWS
        order = [c.name for c in self.data.columns]
        shown = {id(check): order if narrow else [c for c in order if c in check.used_columns()] for check in failed}
        columns = [c for c in order if any(c in shown[id(check)] for check in failed)]
        flags = [f"coalesce(({predicates[id(check)]}), false)" for check in failed]
        sql = (f"SELECT {', '.join(quote(c) for c in columns)}"
               + "".join(f", {flag} AS __mloop_flag_{i}" for i, flag in enumerate(flags))
               + f" FROM {self.data.table} WHERE {' OR '.join(flags)}")
        parts = _stream_samples(self.data, sql, len(failed), self.sample_rows)
        return {id(check): json_safe(parts[i].select(shown[id(check)]).to_pylist()) if parts[i] is not None else []
                for i, check in enumerate(failed)}

    def _detach(self) -> None:
        """Drop the reference tables attached for referential checks (the Dataset may be the caller's)."""
        duckdb = duckdb_module()
        for name in set(self.context.attached.values()) - {self.data.table}:
            try:
                self.data.connection.unregister(name)
                self.data.connection.execute(f"DROP VIEW IF EXISTS {name}")
            except duckdb.Error:
                pass

    def _results(self, samples: dict[int, list[dict[str, Any]]]) -> list[CheckResult]:
        results: list[CheckResult] = []
        seen: dict[str, int] = {}
        for check in self.suite:
            outcome = self.outcomes[id(check)]
            seen[check.title] = seen.get(check.title, 0) + 1
            name = check.title if seen[check.title] == 1 else f"{check.title} [{seen[check.title]}]"
            results.append(CheckResult(
                name=name, check=check.check, columns=check.used_columns(), severity=check.severity,
                passed=outcome.passed, observed=json_safe(outcome.observed), expected=json_safe(check.expected_json()),
                expectation=check.expectation(), message=outcome.message, failing=outcome.failing,
                failing_fraction=outcome.failing_fraction,
                sample=json_safe(outcome.sample) if outcome.sample is not None else samples.get(id(check), [])))
        return results


def _stream_samples(data: Dataset, sql: str, count: int, limit: int) -> list[Any]:
    """For each of `count` flag columns of `sql`'s result, its first `limit` rows (a pyarrow Table,
    or None), reading record batches only until every flag has them."""
    import pyarrow as pa

    duckdb = duckdb_module()
    taken: list[list[Any]] = [[] for _ in range(count)]
    missing = [limit] * count
    try:
        reader = data.connection.sql(sql).to_arrow_reader(10_000)
        try:
            for batch in reader:
                for i in range(count):
                    if missing[i]:
                        hits = batch.filter(batch.column(f"__mloop_flag_{i}")).slice(0, missing[i])
                        if hits.num_rows:
                            taken[i].append(hits)
                            missing[i] -= hits.num_rows
                if not any(missing):
                    break
        finally:
            reader.close()
    except duckdb.Error as exc:
        raise ValidationError(f"cannot read {data.name}: {str(exc).strip().splitlines()[0]}") from None
    except RuntimeError as exc:  # DuckDB stopped the stream at a Ctrl-C
        if "interrupted" in str(exc).lower():
            raise KeyboardInterrupt from None
        raise
    return [pa.Table.from_batches(parts) if parts else None for parts in taken]
