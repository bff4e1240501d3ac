"""The filter language and run search on SQLite and PostgreSQL: matching, precedence, ordering,
dates, params as text, best run, comparison, and errors that point at the token."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import mloop
from mloop.stores.metadata.run_query import Comparison, Field, Junction
from mloop.stores.workspace import get_workspace
from mloop.tracking import parse_field, parse_filter

# name: (model, n_estimators, team, val_auc or None, start day in November 2026)
RUNS = {
    "a": ("xgb", 100, "risk", 0.91, 1),
    "b": ("xgb", 200, "risk", 0.78, 5),
    "c": ("rf", 200, "growth", 0.85, 10),
    "d": ("rf", 50, "risk", None, 20),
    "e": ("lr", 10, "growth", 0.60, 25),
}


@pytest.fixture
def runs(workspace: object) -> dict[str, str]:
    """Five notebook runs of experiment 'churn' with known values; name -> run id."""
    ids = {}
    workspace = get_workspace()
    for name, (model, trees, team, auc, day) in RUNS.items():
        with mloop.start_run("churn", params={"model": model, "n_estimators": trees, "lr": 0.1}) as run:
            mloop.set_tag("team", team)
            if auc is not None:
                mloop.log_metric("val_auc", auc - 0.1, step=0)
                mloop.log_metric("val_auc", auc, step=1)
        workspace.runs.update_run(run.id, started_at=datetime(2026, 11, day, 12, tzinfo=timezone.utc))
        ids[name] = run.id
    return ids


def names(frame: object, runs: dict[str, str]) -> list[str]:
    by_id = {run_id: name for name, run_id in runs.items()}
    return [by_id[run_id] for run_id in frame["run_id"]]  # type: ignore[index]


@pytest.mark.parametrize(("text", "expected"), [
    ("", {"a", "b", "c", "d", "e"}),
    ("metrics.val_auc > 0.8", {"a", "c"}),
    ("metrics.val_auc >= 0.85", {"a", "c"}),
    ("metrics.val_auc < 0.8", {"b", "e"}),
    ("metrics.val_auc <= 0.6", {"e"}),
    ("metrics.val_auc = 0.91", {"a"}),
    ("metrics.val_auc != 0.91", {"b", "c", "e"}),  # a run without the metric matches no comparison
    ("params.model = 'xgb'", {"a", "b"}),
    ("params.model != 'xgb'", {"c", "d", "e"}),
    ("params.n_estimators = 200", {"b", "c"}),  # params are text; a number compares as its text
    ("params.n_estimators = '200'", {"b", "c"}),
    ("params.lr = 0.10", {"a", "b", "c", "d", "e"}),  # 0.10 is stored and compared as "0.1"
    ("params.model like 'X%'", {"a", "b"}),  # like is case-insensitive
    ("tags.team = 'risk'", {"a", "b", "d"}),
    ("tags.team like '%row%'", {"c", "e"}),
    ("start_time > '2026-11-05'", {"b", "c", "d", "e"}),  # 2026-11-05T00:00Z < 12:00 that day
    ("start_time >= '2026-11-10T12:00:00+00:00' and end_time > '2000-01-01'", {"c", "d", "e"}),
    ("start_time < '2026-11-05T14:00+01:00'", {"a", "b"}),
    ("status = 'succeeded' and experiment = 'churn' and kind = 'experiment'", {"a", "b", "c", "d", "e"}),
    ("pipeline = 'other'", set()),
    # precedence: and binds tighter than or
    ("params.model = 'lr' or tags.team = 'risk' and metrics.val_auc > 0.8", {"e", "a"}),
    ("(params.model = 'lr' or tags.team = 'risk') and metrics.val_auc > 0.8", {"a"}),
    ("params.model = 'rf' and (metrics.val_auc > 0.8 or tags.team = 'risk')", {"c", "d"}),
    ("((metrics.val_auc > 0.5)) AND params.model = 'xgb'", {"a", "b"}),  # keywords in any case
    ("metrics.val_auc > 0.8 AND params.model = 'xgb' OR params.model = 'lr'", {"a", "e"}),
    # lists, negation
    ("params.model in ('xgb', 'lr')", {"a", "b", "e"}),
    ("params.model NOT IN ('xgb', 'lr')", {"c", "d"}),
    ("params.n_estimators in (100, 10)", {"a", "e"}),
    ("metrics.val_auc in (0.91, 0.6, 0.5)", {"a", "e"}),
    ("metrics.val_auc not in (0.91)", {"b", "c", "e"}),  # like !=: runs with the metric
    ("tags.team not like 'r%'", {"c", "e"}),
    ("not metrics.val_auc > 0.8", {"b", "d", "e"}),  # not: every run the term does not match
    ("not (params.model = 'xgb' or tags.team = 'growth')", {"d"}),
    ("params.model = 'rf' and not metrics.val_auc < 0.8", {"c", "d"}),
    ("experiment in ('churn', 'other') and status not in ('failed')", {"a", "b", "c", "d", "e"}),
])
def test_filter_matches(runs: dict[str, str], text: str, expected: set[str]) -> None:
    assert set(names(mloop.search_runs(text), runs)) == expected


def test_run_id_attribute_takes_a_prefix_with_like(runs: dict[str, str]) -> None:
    assert names(mloop.search_runs(f"run_id = '{runs['c']}'"), runs) == ["c"]
    assert "c" in names(mloop.search_runs(f"run_id like '{runs['c'][:20]}%'"), runs)


def test_order_by_a_metric_puts_runs_without_it_last(runs: dict[str, str]) -> None:
    assert names(mloop.search_runs(order_by="metrics.val_auc", descending=True), runs) == ["a", "c", "b", "e", "d"]
    assert names(mloop.search_runs(order_by="metrics.val_auc"), runs) == ["e", "b", "c", "a", "d"]
    top = mloop.search_runs("tags.team = 'risk'", order_by="metrics.val_auc", descending=True, limit=2)
    assert names(top, runs) == ["a", "b"]
    assert names(mloop.search_runs(order_by="start_time"), runs) == ["a", "b", "c", "d", "e"]
    # text order; a tie goes to the newer run
    assert names(mloop.search_runs(order_by="params.model", limit=3), runs) == ["e", "d", "c"]
    assert names(mloop.search_runs(), runs) == ["e", "d", "c", "b", "a"]  # default: newest first


def test_search_frame_has_params_metrics_and_tags_columns(runs: dict[str, str]) -> None:
    frame = mloop.search_runs("params.model = 'xgb'", order_by="metrics.val_auc", descending=True)

    assert list(frame.columns) == ["run_id", "pipeline", "kind", "status", "start_time", "end_time",
                                   "params.lr", "params.model", "params.n_estimators", "metrics.val_auc",
                                   "tags.team"]
    assert frame["metrics.val_auc"].tolist() == [0.91, 0.78]  # the latest step's value
    assert frame["params.n_estimators"].tolist() == ["100", "200"]
    assert str(frame["start_time"].dt.tz) == "UTC"
    assert frame["start_time"].iloc[0] == datetime(2026, 11, 1, 12, tzinfo=timezone.utc)


def test_best_run_and_compare(runs: dict[str, str]) -> None:
    assert mloop.best_run("val_auc").id == runs["a"]
    assert mloop.best_run("val_auc", maximize=False).id == runs["e"]
    assert mloop.best_run("val_auc", filter="params.model = 'rf'").metrics == {"val_auc": 0.85}
    with pytest.raises(mloop.NotFoundError, match="no run logged metric 'val_auc' among runs matching"):
        mloop.best_run("val_auc", filter="params.model = 'nothing'")
    with pytest.raises(mloop.NotFoundError, match="no run logged metric 'f1'"):
        mloop.best_run("f1")

    table = mloop.compare_runs([runs["a"], runs["d"][:12]])
    assert list(table.columns) == [runs["a"], runs["d"]]
    assert table.loc["params.model"].tolist() == ["xgb", "rf"]
    assert table.loc["metrics.val_auc"].tolist()[0] == 0.91
    assert table.loc["tags.team"].tolist() == ["risk", "risk"]


def test_metric_history_of_a_run(runs: dict[str, str]) -> None:
    history = mloop.get_metric_history(runs["a"][:10], "val_auc")
    assert history["step"].tolist() == [0, 1]
    assert history["value"].tolist() == pytest.approx([0.81, 0.91])
    assert list(history.columns) == ["step", "value", "timestamp", "step_run_id"]
    with pytest.raises(mloop.NotFoundError, match="has no metric 'f1'; its metrics: val_auc"):
        mloop.get_metric_history(runs["a"], "f1")


@pytest.mark.usefixtures("workspace")
def test_pipeline_runs_are_searchable_by_their_parameters() -> None:
    @mloop.step(cache=False)
    def fit(c: float) -> float:
        mloop.log_metric("auc", c)
        return c

    @mloop.pipeline(name="sweep")
    def sweep(c: float = 0.1, flag: bool = False):
        fit(c)

    for c in (0.1, 0.5, 1.0):
        sweep.run(c=c, flag=c > 0.2)

    frame = mloop.search_runs("pipeline = 'sweep' and params.flag = 'true'", order_by="metrics.auc")
    assert frame["params.c"].tolist() == ["0.5", "1.0"]
    assert frame["metrics.auc"].tolist() == [0.5, 1.0]
    assert frame["kind"].tolist() == ["pipeline", "pipeline"]


def test_condition_tree_follows_precedence() -> None:
    a, b, c = (Comparison(Field("metrics", k), ">", 1.0) for k in "abc")
    assert parse_filter("metrics.a > 1 or metrics.b > 1 and metrics.c > 1") == Junction("or", (a, Junction("and", (b, c))))
    assert parse_filter("(metrics.a > 1 or metrics.b > 1) and metrics.c > 1") == Junction("and", (Junction("or", (a, b)), c))
    assert parse_filter("metrics.`val auc` >= -1.5e-3") == Comparison(Field("metrics", "val auc"), ">=", -0.0015)
    assert parse_filter("tags.note = 'it''s' and tags.q == \"say \\\"hi\\\"\"") == Junction("and", (
        Comparison(Field("tags", "note"), "=", "it's"), Comparison(Field("tags", "q"), "=", 'say "hi"')))
    assert parse_filter("params.x <> 'a'") == Comparison(Field("params", "x"), "!=", "a")
    assert parse_filter("  ") is None
    assert parse_field("metrics.val_auc") == Field("metrics", "val_auc")
    assert parse_field("start_time") == Field("attributes", "start_time")


@pytest.mark.parametrize(("text", "message"), [
    ("metrics.auc > 0.8 andd params.model = 'xgb'",
     "unexpected 'andd' at column 19: metrics.auc > 0.8 andd params.model = 'xgb'\n"
     "                                                  ^^^^ expected 'and', 'or' or the end of the filter"),
    ("metric.auc > 0.8",
     "unknown field 'metric.auc' at column 1: metric.auc > 0.8\n"
     "                                        ^^^^^^^^^^ use metrics.<key>, params.<key>, tags.<key> or one of: "
     "run_id, status, pipeline, experiment, kind, start_time, end_time"),
    ("(metrics.auc > 0.8",
     "unexpected end of filter at column 19: (metrics.auc > 0.8\n"
     "                                                         ^ expected ')' to close the '(' at column 1"),
    ("metrics.auc > 0.8)",
     "unexpected ')' at column 18: metrics.auc > 0.8)\n"
     "                                              ^ there is no '(' to close"),
    ("metrics.auc > 'high'",
     "unexpected \"'high'\" at column 15: metrics.auc > 'high'\n"
     "                                                ^^^^^^ metrics.auc is a number: compare it with a number"),
    ("metrics.auc like '0.%'",
     "unexpected 'like' at column 13: metrics.auc like '0.%'\n"
     "                                            ^^^^ metrics.auc is a number: compare it with =, !=, <, <=, > or >="),
    ("params.model > 'a'",
     "unexpected '>' at column 14: params.model > 'a'\n"
     "                                          ^ params.model is text: compare it with =, !=, like or in"),
    ("params.model = 'xgb",
     "unexpected \"'xgb\" at column 16: params.model = 'xgb\n"
     "                                               ^^^^ a string that is never closed"),
    ("start_time > 'last week'",
     "unexpected \"'last week'\" at column 14: start_time > 'last week'\n"
     "                                                    ^^^^^^^^^^^ expected a 'quoted' ISO date or datetime, "
     "e.g. '2026-11-01' or '2026-11-01T12:00'"),
    ("metrics.auc >",
     "unexpected end of filter at column 14: metrics.auc >\n"
     "                                                    ^ expected a value after metrics.auc > "
     "(a number or a 'quoted' string)"),
    ("metrics.auc 0.8",
     "unexpected '0.8' at column 13: metrics.auc 0.8\n"
     "                                           ^^^ expected an operator after metrics.auc (=, !=, <, <=, >, >=, like, in)"),
    ("metrics.auc > 0.8 and",
     "unexpected end of filter at column 22: metrics.auc > 0.8 and\n"
     "                                                            ^ expected a field (use metrics.<key>, params.<key>, "
     "tags.<key> or one of: run_id, status, pipeline, experiment, kind, start_time, end_time)"),
    ("params.model in 'xgb'",
     "unexpected \"'xgb'\" at column 17: params.model in 'xgb'\n"
     "                                                 ^^^^^ expected '(' and a list of values after params.model in, "
     "e.g. ('a', 'b')"),
    ("params.model in ('xgb' 'rf')",
     "unexpected \"'rf'\" at column 24: params.model in ('xgb' 'rf')\n"
     "                                                       ^^^^ expected ',' or ')' in the list of values"),
    ("params.model in ()",
     "unexpected ')' at column 18: params.model in ()\n"
     "                                              ^ expected a value in the list after params.model in"),
    ("params.model not = 'xgb'",
     "unexpected '=' at column 18: params.model not = 'xgb'\n"
     "                                              ^ expected 'in' or 'like' after params.model not"),
    ("metrics.auc > 0.8 ; drop table runs",
     "unexpected ';' at column 19: metrics.auc > 0.8 ; drop table runs\n"
     "                                               ^ not part of the filter language"),
])
def test_malformed_filter_points_at_the_token(text: str, message: str) -> None:
    with pytest.raises(mloop.ValidationError) as error:
        parse_filter(text)
    assert str(error.value) == message
    first, caret = str(error.value).splitlines()
    column = int(first.split("column ")[1].split(":")[0])
    assert caret.index("^") == first.index(": ") + 2 + column - 1  # under the token of the echoed filter


def test_a_long_filter_is_shortened_around_the_token() -> None:
    head = " and ".join(f"metrics.m{i} > {i}" for i in range(12))
    with pytest.raises(mloop.ValidationError) as error:
        parse_filter(head + " andd metrics.z > 1")
    first, caret = str(error.value).splitlines()
    assert first.startswith(f"unexpected 'andd' at column {len(head) + 2}: ...")
    assert len(first) < 150
    assert first[caret.index("^"):caret.index("^") + 4] == "andd"
