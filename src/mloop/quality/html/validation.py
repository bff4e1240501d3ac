"""The validation report page: the verdict, the failed checks first (what was observed, what was
expected, how many rows fail, a sample of them), then every check in one sortable table."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mloop.quality.html.fields import records, require
from mloop.quality.html.markup import Html, escape
from mloop.quality.html.numbers import counted, number, percent, value_text
from mloop.quality.html.page import Card, Section, Verdict, page
from mloop.quality.html.tables import Cell, Column, badge, facts, table

_SAMPLE_ROWS = 50
_SAMPLE_COLUMNS = 40


def render_validation(report: Mapping[str, Any], *, generated_at: datetime | None = None) -> str:
    """The HTML page of a validation report given as a dict:

    {"title", "data_name", "rows", "created_at", "passed": bool, "summary": str,
     "checks": [{"name", "kind", "column": str | None, "severity": "error" | "warn", "passed": bool,
                 "observed", "expected", "failing": int | None, "message": str, "sample": [row dicts]}]}

    Only "checks" (each with "name" and "passed") is required; the rest is shown when present."""
    data = require(report, ("checks",), "validation report")
    checks = records(data, "checks", "validation report", ("name", "passed"))
    errors = _failed(checks, warn=False)
    warnings = _failed(checks, warn=True)
    total = len(checks)
    passed = bool(data.get("passed", not errors))
    if not passed:
        failed = len(errors) + len(warnings)
        verdict = Verdict("failed", "Validation failed",
                          f"{failed:,} of {counted(total, 'check')} failed: {counted(len(errors), 'error')}, "
                          f"{counted(len(warnings), 'warning')}.")
    elif warnings:
        verdict = Verdict("warning", "Passed with warnings",
                          f"{len(warnings):,} of {counted(total, 'check')} warned; no error-level check failed.")
    else:
        verdict = Verdict("passed", "Validation passed", f"All {counted(total, 'check')} passed.")
    rows = data.get("rows")
    columns = {check.get("column") for check in checks} - {None}
    cards = [
        Card("Rows", rows),
        Card("Checks", total, note=f"on {counted(len(columns), 'column')}" if columns else ""),
        Card("Errors", len(errors), "fail" if errors else "pass", "failed error-level checks"),
        Card("Warnings", len(warnings), "warn" if warnings else "", "failed warn-level checks"),
        Card("Passed", total - len(errors) - len(warnings)),
    ]
    sections = []
    if errors or warnings:
        findings = "".join(_finding(check, rows, index) for index, check in enumerate(errors + warnings))
        sections.append(Section("Failed checks", Html(findings), "failed", len(errors) + len(warnings)))
    sections.append(Section("All checks", _all_checks(checks, errors + warnings), "checks", total))
    title = data.get("title") or "Validation report"
    return page(str(title), str(data.get("data_name") or ""), cards, sections, verdict=verdict,
                kicker="mloop · data validation", summary=str(data.get("summary") or ""),
                created_at=data.get("created_at"), generated_at=generated_at)


def _failed(checks: list[Mapping[str, Any]], *, warn: bool) -> list[Mapping[str, Any]]:
    chosen = [check for check in checks if not check["passed"] and (check.get("severity") == "warn") == warn]
    return sorted(chosen, key=lambda check: -(check.get("failing") or 0))


def _failing_text(failing: Any, rows: Any) -> str:
    if failing is None:
        return "—"
    if isinstance(rows, int) and rows > 0 and isinstance(failing, int):
        return f"{number(failing)} of {number(rows)} ({percent(failing / rows)})"
    return number(failing)


def _finding(check: Mapping[str, Any], rows: Any, index: int) -> str:
    warn = check.get("severity") == "warn"
    head = [badge("warning" if warn else "error", "warn" if warn else "fail"), f"<h3>{escape(check['name'])}</h3>"]
    if check.get("column") is not None:
        head.append(f'<span class="chip">column <b>{escape(check["column"])}</b></span>')
    if check.get("kind"):
        head.append(f'<span class="chip">{escape(check["kind"])}</span>')
    parts = [f'<article class="finding{" warned" if warn else ""}"><header>{"".join(head)}</header>']
    if check.get("message"):
        parts.append(f"<p>{escape(check['message'])}</p>")
    parts.append(facts([("Observed", check.get("observed")), ("Expected", check.get("expected")),
                        ("Failing rows", _failing_text(check.get("failing"), rows))]))
    sample = check.get("sample") or []
    if sample:
        parts.append(f'<details class="sample"><summary>Sample of {counted(len(sample), "failing row")}</summary>'
                     f"{_sample_table(sample, check.get('column'), index)}</details>")
    parts.append("</article>")
    return "".join(parts)


def _sample_table(sample: list[Any], column: Any, index: int) -> Html:
    names: dict[str, None] = {str(column): None} if column is not None else {}
    shown = [row for row in sample[:_SAMPLE_ROWS] if isinstance(row, Mapping)]
    for row in shown:
        names.update(dict.fromkeys(str(key) for key in row))
    keys = list(names)[:_SAMPLE_COLUMNS]
    cells = [[row.get(key) for key in keys] for row in shown]
    numeric = [any(isinstance(value, (int, float)) and not isinstance(value, bool) for value in column_values)
               for column_values in zip(*cells, strict=False)] or [False] * len(keys)
    columns = [Column(key, numeric=flag, sortable=False) for key, flag in zip(keys, numeric, strict=False)]
    note = f"first {len(shown):,} of {len(sample):,} rows" if len(sample) > len(shown) else ""
    return table(columns, cells, table_id=f"sample-{index}", caption=note)


def _all_checks(checks: list[Mapping[str, Any]], failed: list[Mapping[str, Any]]) -> Html:
    order = {id(check): index for index, check in enumerate(failed)}
    ordered = sorted(checks, key=lambda check: order.get(id(check), len(order)))
    rows, classes = [], []
    for check in ordered:
        warn = check.get("severity") == "warn"
        if check["passed"]:
            status, rank, css = badge("passed", "pass"), 2, ""
        elif warn:
            status, rank, css = badge("warning", "warn"), 1, "warned"
        else:
            status, rank, css = badge("failed", "fail"), 0, "bad"
        rows.append([Cell(status, sort=rank), check["name"], check.get("column"), check.get("kind"),
                     check.get("severity") or "error", Cell(value_text(check.get("observed"), limit=80)),
                     Cell(value_text(check.get("expected"), limit=80)), check.get("failing"),
                     check.get("message") or ""])
        classes.append(css)
    columns = [Column("Status"), Column("Check"), Column("Column"), Column("Kind"), Column("Severity"),
               Column("Observed"), Column("Expected"), Column("Failing rows", numeric=True), Column("Message")]
    return table(columns, rows, table_id="checks-table", row_classes=classes,
                 filter_label="Filter checks" if len(rows) > 12 else "")
