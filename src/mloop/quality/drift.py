"""Drift between a reference and a current table, per column and for the whole table.

    report = detect_drift(train_df, "scoring/2024-06/")         # data on both sides: exact
    report = detect_drift(stored_profile, current_df)           # a profile side: from sketches
    report.drifted, report.drifted_columns, report.summary()

Default verdicts judge the size of a shift, so they stay right as the row count grows: a numeric
column drifts when its Wasserstein distance divided by the reference std exceeds 0.1, a
categorical one when its Jensen–Shannon distance (base 2) exceeds 0.1. A raw p < 0.05 flags
irrelevant shifts on large samples; a distance alone flags noise on small ones, so by default a
distance verdict also needs its test (KS, chi-square) significant at 0.05 after a Bonferroni
correction over the columns compared. A null share that moves by more than 0.1 is drift too.
The table drifts when at least half of the compared columns do. All of it is configurable
(`DriftThresholds`) and printed in the report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

import numpy as np

from mloop.core.errors import ValidationError
from mloop.quality import scan, sketch
from mloop.quality.column_drift import (
    CategoricalSide,
    ColumnDrift,
    NumericSide,
    compare_categorical,
    compare_numeric,
)
from mloop.quality.inputs import Dataset, open_data
from mloop.quality.profile import EXACT_ROWS, Profile, profile
from mloop.stores.artifacts.records import register_record_type

NUMERIC_METHODS = ("wasserstein", "psi", "ks")
CATEGORICAL_METHODS = ("js", "psi", "chi2")
_TESTS = ("ks", "chi2")


@dataclass(frozen=True)
class DriftThresholds:
    """When a column, and the table, count as drifted."""

    #: numeric: Wasserstein distance / reference std above this (a 0.3-std shift gives 0.3)
    wasserstein: float = 0.1
    #: PSI above this, when method psi is chosen (numeric: 10 reference-decile bins)
    psi: float = 0.1
    #: categorical: Jensen–Shannon distance (base 2) above this
    js: float = 0.1
    #: family-wise significance of the ks and chi2 tests, Bonferroni-corrected over the columns compared
    alpha: float = 0.05
    #: distance verdicts also need their test significant, so noise on small samples is not drift
    require_significance: bool = True
    #: a change of the null share above this is drift whatever the values do
    null_fraction: float = 0.1
    #: the table drifts when at least this share of the compared columns drift
    share: float = 0.5

    def __post_init__(self) -> None:
        for name in ("wasserstein", "psi", "js", "null_fraction"):
            if not getattr(self, name) >= 0:
                raise ValidationError(f"drift threshold {name}={getattr(self, name)!r} is negative; give a number >= 0")
        for name in ("alpha", "share"):
            if not 0 < getattr(self, name) <= 1:
                raise ValidationError(f"drift threshold {name}={getattr(self, name)!r} is outside (0, 1]; "
                                      "give a share such as 0.05")

    @classmethod
    def of(cls, value: DriftThresholds | dict[str, Any] | None) -> DriftThresholds:
        if value is None or isinstance(value, DriftThresholds):
            return value or cls()
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(value) - set(known))
        if unknown:
            raise ValidationError(f"unknown drift threshold {', '.join(unknown)}; the thresholds are {', '.join(known)}")
        return cls(**value)


@dataclass
class DriftReport:
    """The drift of `current` against `reference`: one ColumnDrift per common column (datetime and
    other columns are listed but not compared), the table's verdict, and what it was judged by."""

    reference: str
    current: str
    reference_rows: int
    current_rows: int
    columns: list[ColumnDrift]
    thresholds: DriftThresholds
    method: dict[str, str]
    #: whether every statistic came from the data (False: a side was a profile or too big)
    exact: bool
    #: the significance each test is held to: alpha / number of columns compared
    corrected_alpha: float
    only_in_reference: list[str] = field(default_factory=list)
    only_in_current: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: None for a report loaded from the artifact store (its time is the artifact's)
    created_at: datetime | None = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def compared(self) -> list[ColumnDrift]:
        return [c for c in self.columns if c.method is not None or c.drifted]

    @property
    def drifted_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.drifted]

    @property
    def share(self) -> float:
        compared = len(self.compared)
        return len(self.drifted_columns) / compared if compared else 0.0

    @property
    def drifted(self) -> bool:
        return bool(self.compared) and self.share >= self.thresholds.share

    @property
    def passed(self) -> bool:
        return not self.drifted

    def column(self, name: str) -> ColumnDrift:
        for column in self.columns:
            if column.name == name:
                return column
        raise ValidationError(f"the drift report has no column {name!r}; its columns: "
                              f"{', '.join(c.name for c in self.columns)}")

    def criteria(self) -> str:
        """The verdict rule in words, with every threshold."""
        t = self.thresholds
        rule = {"wasserstein": f"wasserstein/std > {t.wasserstein:g}", "psi": f"PSI > {t.psi:g}",
                "js": f"Jensen-Shannon > {t.js:g}", "ks": f"KS p < {self.corrected_alpha:.3g}",
                "chi2": f"chi-square p < {self.corrected_alpha:.3g}"}
        text = f"numeric: {rule[self.method['numeric']]}; categorical: {rule[self.method['categorical']]}"
        if t.require_significance:
            text += f" (distances also need their test p < {self.corrected_alpha:.3g})"
        return (text + f" [alpha {t.alpha:g} / {max(len(self._tested()), 1)} columns, Bonferroni]; null share "
                f"change > {t.null_fraction:g}; table: >= {t.share:.0%} of columns")

    def _tested(self) -> list[ColumnDrift]:
        return [c for c in self.columns if c.compared]

    def summary(self) -> str:
        verdict = "drifted" if self.drifted else ("no drift" if not self.drifted_columns else "not drifted as a whole")
        names = ", ".join(self.drifted_columns[:8]) + (" ..." if len(self.drifted_columns) > 8 else "")
        rule = f" (the table drifts at {self.thresholds.share:.0%})" if self.drifted_columns and not self.drifted else ""
        return (f"{verdict}: {len(self.drifted_columns)} of {len(self.compared)} columns drifted"
                f"{' (' + names + ')' if names else ''}{rule}; {self.current} vs {self.reference}")

    def artifact_data(self) -> dict[str, Any]:
        """What is stored (and hashed): the report without when it was made."""
        data = self.to_dict()
        data.pop("created_at")
        return data

    def artifact_summary(self) -> dict[str, Any]:
        return {"quality_report": "drift", "subject": self.current, "passed": self.passed, "summary": self.summary(),
                "drifted_columns": len(self.drifted_columns), "columns": len(self.compared), "share": self.share}

    def to_dict(self) -> dict[str, Any]:
        return {"format": "mloop.drift/1", "reference": self.reference, "current": self.current,
                "reference_rows": self.reference_rows, "current_rows": self.current_rows,
                "drifted": self.drifted, "drifted_columns": self.drifted_columns,
                "drifted_count": len(self.drifted_columns), "compared_count": len(self.compared),
                "share": self.share, "criteria": self.criteria(), "thresholds": asdict(self.thresholds),
                "method": dict(self.method), "corrected_alpha": self.corrected_alpha, "exact": self.exact,
                "only_in_reference": self.only_in_reference, "only_in_current": self.only_in_current,
                "notes": self.notes, "created_at": self.created_at.isoformat() if self.created_at else None,
                "columns": [c.to_dict() for c in self.columns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftReport:
        if not isinstance(data, dict) or data.get("format") != "mloop.drift/1":
            raise ValidationError("not an mloop drift report (expected format 'mloop.drift/1'); "
                                  "give the output of DriftReport.to_dict()")
        return cls(reference=data["reference"], current=data["current"], reference_rows=data["reference_rows"],
                   current_rows=data["current_rows"], columns=[ColumnDrift.from_dict(c) for c in data["columns"]],
                   thresholds=DriftThresholds(**data["thresholds"]), method=dict(data["method"]),
                   exact=data["exact"], corrected_alpha=data["corrected_alpha"],
                   only_in_reference=list(data["only_in_reference"]), only_in_current=list(data["only_in_current"]),
                   notes=list(data["notes"]), created_at=datetime.fromisoformat(data["created_at"]) if data.get("created_at") else None)

    def __repr__(self) -> str:
        return f"DriftReport({self.summary()!r})"


@dataclass
class _Side:
    role: str
    name: str
    rows: int
    kinds: dict[str, str]
    data: Dataset | None = None
    profile: Profile | None = None


def detect_drift(reference: Any, current: Any, *, columns: list[str] | None = None,
                 thresholds: DriftThresholds | dict[str, Any] | None = None,
                 method: dict[str, str] | None = None) -> DriftReport:
    """Compare `current` with `reference`, each anything `open_data` takes or a `Profile`.
    `method` picks the verdict statistic: {"numeric": "wasserstein" | "psi" | "ks",
    "categorical": "js" | "psi" | "chi2"}; every statistic is computed and reported anyway."""
    limits = DriftThresholds.of(thresholds)
    chosen = _methods(method)
    opened: list[Dataset] = []
    try:
        ref = _side("reference", reference, opened)
        cur = _side("current", current, opened)
        names = _columns(ref, cur, columns)
        notes = []
        for side in (ref, cur):
            if side.profile is None and side.rows > EXACT_ROWS:
                side.profile = profile(side.data, columns=names, exact=False)
                notes.append(f"the {side.role} data has {side.rows:,} rows; it was profiled with streaming "
                             "approximate quantiles")
            if side.profile is not None:
                notes.append(f"the {side.role} is a profile: numeric KS, Wasserstein and PSI come from "
                             f"{sketch.GRID_SIZE}-point quantile sketches (CDF error <= {sketch.RANK_ERROR:g} in rank)")
        results = _compare(ref, cur, names)
    finally:
        for dataset in opened:
            dataset.close()
    report = DriftReport(reference=ref.name, current=cur.name, reference_rows=ref.rows, current_rows=cur.rows,
                         columns=results, thresholds=limits, method=chosen,
                         exact=ref.profile is None and cur.profile is None, corrected_alpha=limits.alpha,
                         only_in_reference=[c for c in ref.kinds if c not in cur.kinds],
                         only_in_current=[c for c in cur.kinds if c not in ref.kinds], notes=notes)
    if report.only_in_reference or report.only_in_current:
        report.notes.append(f"columns only in the reference: {_listing(report.only_in_reference)}; only in the "
                            f"current data: {_listing(report.only_in_current)}; they are not compared")
    _judge(report)
    return report


def _methods(method: dict[str, str] | None) -> dict[str, str]:
    chosen = {"numeric": "wasserstein", "categorical": "js"}
    for kind, name in (method or {}).items():
        valid = {"numeric": NUMERIC_METHODS, "categorical": CATEGORICAL_METHODS}.get(kind)
        if valid is None:
            raise ValidationError(f"drift method for {kind!r}: give methods for 'numeric' and 'categorical'")
        if name not in valid:
            raise ValidationError(f"unknown {kind} drift method {name!r}; choose one of {', '.join(valid)}")
        chosen[kind] = name
    return chosen


def _side(role: str, value: Any, opened: list[Dataset]) -> _Side:
    if isinstance(value, Profile):
        kinds = {c.name: c.kind for c in value.columns}
        return _Side(role, value.name, value.rows, kinds, profile=value)
    dataset = open_data(value)
    if dataset is not value:
        opened.append(dataset)
    if dataset.rows == 0:
        raise ValidationError(f"the {role} data {dataset.name} has no rows; give data with rows to compare")
    return _Side(role, dataset.name, dataset.rows, {c.name: c.kind for c in dataset.columns}, data=dataset)


def _columns(ref: _Side, cur: _Side, columns: list[str] | None) -> list[str]:
    if columns is not None:
        for name in columns:
            for side in (ref, cur):
                if name not in side.kinds:
                    raise ValidationError(f"column {name!r} is not in the {side.role} {side.name}; its columns: "
                                          f"{_listing(list(side.kinds))}")
        return list(dict.fromkeys(columns))
    common = [c for c in ref.kinds if c in cur.kinds]
    if not common:
        raise ValidationError(f"the reference {ref.name} and the current {cur.name} have no column in common; "
                              "compare data with the same columns")
    return common


def _compare(ref: _Side, cur: _Side, names: list[str]) -> list[ColumnDrift]:
    results: dict[str, ColumnDrift] = {}
    numeric, categorical = [], []
    for name in names:
        kinds = (ref.kinds[name], cur.kinds[name])
        if kinds[0] != kinds[1]:
            results[name] = ColumnDrift(name, kinds[0], drifted=True,
                                        note=f"{kinds[0]} in the reference but {kinds[1]} in the current data; "
                                             "cast one side so both have the same type")
        elif kinds[0] == "numeric":
            numeric.append(name)
        elif kinds[0] == "categorical":
            categorical.append(name)
        else:
            results[name] = ColumnDrift(name, kinds[0], note=f"{kinds[0]} columns are not compared for drift")
    for name, left, right in _numeric_sides(ref, cur, numeric):
        results[name] = compare_numeric(name, left, right)
    left_categories, right_categories = _categorical_sides(ref, categorical), _categorical_sides(cur, categorical)
    for name in categorical:
        results[name] = compare_categorical(name, left_categories[name], right_categories[name])
    return [results[name] for name in names]


def _numeric_sides(ref: _Side, cur: _Side, names: list[str]) -> Any:
    per_block = scan.block_size(max(ref.rows, cur.rows))
    for start in range(0, len(names), per_block):
        block = names[start:start + per_block]
        yield from zip(block, _numeric_block(ref, block), _numeric_block(cur, block), strict=True)


def _numeric_block(side: _Side, block: list[str]) -> list[NumericSide]:
    if side.profile is not None:
        found = [side.profile.column(name) for name in block]
        return [NumericSide(c.count, side.rows - c.count, c.std, quantiles=c.sketch) for c in found]
    assert side.data is not None
    (_, values, counts), = scan.numeric_blocks(side.data, block, per_block=len(block))
    columns = [np.ascontiguousarray(values[:n, j]) for j, n in enumerate(counts)]  # views: blocks are column-major
    return [NumericSide(len(column), side.rows - len(column), float(column.std(ddof=1)) if len(column) > 1 else 0.0,
                        values=column) for column in columns]


def _categorical_sides(side: _Side, names: list[str]) -> dict[str, CategoricalSide]:
    if not names:
        return {}
    if side.profile is not None:
        found = [side.profile.column(name) for name in names]
        return {c.name: CategoricalSide(c.count, side.rows - c.count, c.values, np.asarray(c.value_counts), c.other)
                for c in found}
    assert side.data is not None
    counts = {name: n for name, (n, _, _) in scan.non_null_counts(side.data, names).items()}
    categories = scan.category_counts(side.data, names, counts)
    return {name: CategoricalSide(counts[name], side.rows - counts[name], found.values, found.counts, found.other)
            for name, found in categories.items()}


def _judge(report: DriftReport) -> None:
    t = report.thresholds
    tested = report._tested()
    report.corrected_alpha = t.alpha / max(len(tested), 1)
    for column in report.columns:
        if column.compared:
            chosen = report.method[column.kind]
            if chosen in _TESTS:
                column.method, column.threshold = chosen, report.corrected_alpha
                column.statistic = column.ks_pvalue if chosen == "ks" else column.chi2_pvalue
                column.drifted = column.statistic is not None and column.statistic < column.threshold
            else:
                value = {"wasserstein": column.wasserstein_norm, "psi": column.psi, "js": column.js}[chosen]
                column.method, column.statistic = chosen, value
                column.threshold = {"wasserstein": t.wasserstein, "psi": t.psi, "js": t.js}[chosen]
                significant = (not t.require_significance or column.p_value is None
                               or column.p_value < report.corrected_alpha)
                column.drifted = value is not None and value > column.threshold and significant
        if column.reference_null_fraction is not None and column.current_null_fraction is not None:
            change = column.current_null_fraction - column.reference_null_fraction
            if abs(change) > t.null_fraction:
                column.drifted = True
                column.note = ((column.note + "; ") if column.note else "") + (
                    f"null share {column.reference_null_fraction:.3g} -> {column.current_null_fraction:.3g}")


def _listing(names: list[str]) -> str:
    if not names:
        return "none"
    return ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")


register_record_type(DriftReport)
