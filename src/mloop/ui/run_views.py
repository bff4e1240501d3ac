"""What the run pages and the runs API show, shaped from the public API: the filter a runs listing
searches with, a run's DAG and step rows, log tails, and metric histories as chart lines."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

import mloop
from mloop.core.errors import ValidationError
from mloop.ui.charts import Line, line_chart
from mloop.ui.filters import duration
from mloop.ui.graph import GraphNode, dag_svg

PAGE_SIZE = 50
LOG_TAIL_LINES = 40
#: steps whose log tail a run page shows inline at most (failed steps always show theirs)
MAX_INLINE_LOGS = 100
#: metric charts a run page draws at most (every metric links to its own page)
MAX_RUN_CHARTS = 12
#: most runs one compare page or overlaid chart takes (each is a column / a line)
MAX_COMPARED = 20
STATUSES = ("pending", "running", "succeeded", "failed", "interrupted")


def quoted(text: str) -> str:
    """A text value in the filter language: single quotes, a quote inside doubled."""
    return "'" + text.replace("'", "''") + "'"


def runs_filter(q: str = "", pipeline: str = "", status: str = "") -> str:
    """The search of a runs listing: its query box and its pipeline and status choices, and-ed.
    A NUL character is refused here: PostgreSQL cannot compare text holding one."""
    if "\x00" in q + pipeline + status:
        raise ValidationError("the search holds a NUL character (\\x00); remove it")
    parts = []
    if pipeline:
        parts.append(f"pipeline = {quoted(pipeline)}")
    if status:
        if status not in STATUSES:
            raise ValidationError(f"unknown run status {status!r}; use one of: {', '.join(STATUSES)}")
        parts.append(f"status = {quoted(status)}")
    if q.strip():
        parts.append(f"({q})" if parts else q)
    return " and ".join(parts)


def run_ids(values: Iterable[str]) -> list[str]:
    """Run ids from `?runs=a,b&runs=c` (commas and repeats both work), in order, without repeats."""
    found: list[str] = []
    for value in values:
        for item in value.split(","):
            if item.strip() and item.strip() not in found:
                found.append(item.strip())
    if not found:
        raise ValidationError("no runs to compare; pick runs on /runs or pass ?runs=ID,ID")
    if len(found) > MAX_COMPARED:
        raise ValidationError(f"{len(found)} runs to compare; pick at most {MAX_COMPARED}")
    return found


def graph_edges(graph: dict[str, Any]) -> list[tuple[str, str]]:
    """(upstream, downstream) step pairs of a run's stored graph (inputs from other steps, `after`)."""
    edges: list[tuple[str, str]] = []
    for node in graph.get("nodes", []):
        upstream: list[str] = []
        for ref in (node.get("inputs") or {}).values():
            for item in ref.get("list", [ref]) if isinstance(ref, dict) else []:
                if isinstance(item, dict) and "node" in item and item["node"] not in upstream:
                    upstream.append(item["node"])
        upstream += [name for name in node.get("after", []) if name not in upstream]
        edges += [(name, node["name"]) for name in upstream]
    return edges


def step_label(step: Any) -> str:
    """A DAG node's second line: the duration, and where a cached step's outputs came from."""
    if step.status == "cached":
        return "cached"
    text = duration(step.duration) if step.duration is not None else step.status
    attempts = len(step.attempts)
    return f"{text} · {attempts} attempts" if attempts > 1 else text


def run_dag(run: Any) -> Markup:
    """The run's steps as a DAG: one node per step, its status as css class, a click goes to its section."""
    nodes = [GraphNode(step.node, step.node, sub=step_label(step), status=step.status, href=f"#step-{step.node}",
                       hover=f"{step.node} · {step.status}" + (f" · {duration(step.duration)}" if step.duration else ""))
             for step in run.steps]
    return dag_svg(nodes, graph_edges(run.record.graph), title=f"{run.pipeline} run {run.id}")


def log_tail(text: str, lines: int = LOG_TAIL_LINES) -> tuple[str, int]:
    """The last `lines` lines of a log, and how many lines were left out before them."""
    parts = text.splitlines()
    return "\n".join(parts[-lines:]), max(0, len(parts) - lines)


@dataclass(frozen=True)
class StepRow:
    """A step of a run as its section on the run page shows it."""

    step: Any
    log_tail: str
    log_hidden: int


def step_rows(run: Any, inline_logs: int | None = None) -> list[StepRow]:
    """Each step with the tail of its log: of failed steps always, of the others for the first
    `inline_logs` (default MAX_INLINE_LOGS: a log may live in remote storage; every step keeps its
    link to the full log)."""
    inline_logs = MAX_INLINE_LOGS if inline_logs is None else inline_logs
    rows = []
    shown = 0
    for step in run.steps:
        tail, hidden = "", 0
        if step.status not in ("pending", "skipped") and (step.status == "failed" or shown < inline_logs):
            tail, hidden = log_tail(step.logs())
            shown += step.status != "failed"
        rows.append(StepRow(step, tail, hidden))
    return rows


def metric_lines(run_ids: Sequence[str], key: str) -> list[Line]:
    """One chart line per run (full ids) that logged `key` (by step); runs without it are left out."""
    tracking = mloop.get_workspace().tracking  # arrays straight from the store: no frame per run
    lines = []
    for run_id in run_ids:
        history = tracking.metric_history(run_id, key)
        if len(history):
            # a 12-character prefix names the run (accepted back as its id) and keeps the legend short
            lines.append(Line(run_id[:12], history.steps.tolist(), history.values.tolist()))
    return lines


def metric_chart(run_ids: Sequence[str], key: str, *, width: int = 640) -> Markup:
    lines = metric_lines(run_ids, key)
    return line_chart(lines, title=key, x_label="step", y_label=key, width=width)


def metric_keys(values: dict[str, Any]) -> list[str]:
    return sorted(values)
