"""Printing the model registry's records with rich: models, versions, cards, blessing reports."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mloop.cli import render


def models_table(console: Console, models: list[Any], aliases: dict[str, dict[str, int]]) -> None:
    if not models:
        console.print("no models yet; register one with: mloop models register NAME RUN:train")
        return
    columns = [render.Column("model"), render.Column("latest"), render.Column("aliases", fixed=False),
               render.Column("description", fixed=False, drop=1), render.Column("created", drop=2)]
    rows = [[escape(m.name), str(m.latest_version), _aliases(aliases.get(m.name, {})), escape(m.description),
             render.when(m.created_at)] for m in models]
    console.print(render.fit_table(console, columns, rows)[0])


def _aliases(found: dict[str, int]) -> str:
    return ", ".join(f"{alias}→{version}" for alias, version in sorted(found.items()))


def history_table(console: Console, aliases: list[Any], stages: list[Any], limit: int = 15) -> None:
    """Alias and stage moves, newest last: who, when, why, and whether it was forced."""
    moves = [(c.changed_at, f"@{c.alias}", f"{c.from_version or '—'} → {c.to_version or '—'}", c.action, c)
             for c in aliases]
    moves += [(c.changed_at, f"version {c.version}", f"{c.from_stage or '—'} → {c.to_stage or '—'}", "stage", c)
              for c in stages]
    if not moves:
        return
    columns = [render.Column("when", drop=1), render.Column("what"), render.Column("change"), render.Column("action"),
               render.Column("by", drop=2), render.Column("why", fixed=False, drop=3)]
    rows = [[render.when(when), escape(what), escape(change), action + (" [yellow](forced)[/]" if record.forced else ""),
             escape(record.changed_by), escape(record.reason)]
            for when, what, change, action, record in sorted(moves, key=lambda m: m[0])[-limit:]]
    console.print(render.fit_table(console, columns, rows, title="history", title_justify="left")[0])


def versions_table(console: Console, name: str, versions: list[Any]) -> None:
    columns = [render.Column("version"), render.Column("aliases", fixed=False, min_width=9),
               render.Column("stage", drop=3), render.Column("blessed"), render.Column("metrics", fixed=False),
               render.Column("created", drop=5), render.Column("by", drop=4), render.Column("artifact", drop=2)]
    rows = []
    for version in versions:
        blessing = version.blessing
        blessed = "—" if blessing is None else ("[green]yes[/]" if blessing.blessed else "[red]no[/]")
        rows.append([str(version.version), escape(", ".join(version.aliases)), escape(version.stage or ""), blessed,
                     escape(_numbers(version.metrics)), render.when(version.created_at), escape(version.created_by),
                     version.artifact_id[:12]])
    table, hidden = render.fit_table(console, columns, rows, title=f"model {escape(name)}", title_justify="left")
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))


def _numbers(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, (int, float)) else f"{k}=—" for k, v in values.items())


def version_detail(console: Console, version: Any) -> None:
    console.print(f"model version [bold]{version.ref}[/]" + (f": {escape(version.description)}"
                                                             if version.description else ""))
    lineage = version.lineage or {}
    rows = [("aliases", ", ".join(version.aliases) or "—"), ("stage", version.stage or "—"),
            ("artifact", version.artifact_id), ("created", f"{render.when(version.created_at)} by {version.created_by}"),
            ("source run", f"{version.run_id} step {lineage.get('step')}" if version.run_id else "—"),
            ("metrics", _numbers(version.metrics) or "—")]
    code = lineage.get("code_version") or {}
    if code:
        rows.append(("code", f"git {render.short(code.get('git_sha')) or '—'}"
                     + (" (dirty)" if code.get("dirty") else "") + f", step source {render.short(code.get('step_source_hash'))}"))
    for item in lineage.get("training_data", []):
        rows.append(("training data", f"{item['name']}: {item['artifact_id'][:12]} {item['type']} {item.get('shape') or ''}"))
    if lineage.get("training_frame"):
        frame = lineage["training_frame"]
        rows.append(("training data", f"a table in memory, sha256 {render.short(frame['fingerprint'])} "
                                      f"{frame.get('shape') or ''}"))
    for item in lineage.get("data_sources", []):
        rows.append(("raw data", f"{item['artifact_id'][:12]} {item.get('source') or ''}"))
    for label, value in rows:
        console.print(f"  {label:<14}{escape(str(value))}")
    if version.signature is not None:
        signature_table(console, version.signature)
    if version.card:
        card(console, version.card)
    if version.blessing is not None:
        blessing_report(console, version.blessing)


def signature_table(console: Console, signature: Any) -> None:
    table = Table(title="signature", title_justify="left")
    for column in ("input column", "type", "dtype", "nullable", "domain"):
        table.add_column(column)
    for column in signature.inputs:
        domain = ", ".join(map(str, column.categories)) if column.categories is not None else ""
        table.add_row(column.name, column.type, column.dtype, "yes" if column.nullable else "no", escape(domain[:60]))
    console.print(table)
    outputs = "; ".join(f"{o.name}: {o.type} {o.shape}" + (f" classes {o.classes}" if o.classes else "")
                        for o in signature.outputs)
    if outputs:
        console.print(f"  outputs: {escape(outputs)}")


def card(console: Console, data: dict[str, Any]) -> None:
    evaluation = data.get("evaluation") or {}
    if evaluation:
        console.print(f"evaluation on {evaluation.get('rows')} rows (target {evaluation.get('target')!r}): "
                      f"{_numbers(evaluation.get('metrics') or {})}")
    slices = evaluation.get("slices")
    if slices:
        table = Table(title=f"by {slices['column']}", title_justify="left")
        names = list(evaluation.get("metrics") or {})
        for column in ("value", "rows", *names):
            table.add_column(column)
        for item in slices["values"]:
            table.add_row(escape(str(item["value"])), str(item["rows"]),
                          *[_number(item["metrics"].get(n)) for n in names])
        console.print(table)
    importance = data.get("importance")
    if importance:
        table = Table(title="permutation importance", title_justify="left")
        for column in ("feature", f"{importance['metric']} drop", "± std"):
            table.add_column(column)
        for item in importance["features"][:10]:
            table.add_row(item["name"], f"{item['mean']:.4f}", f"{item['std']:.4f}")
        console.print(table)
        if importance.get("top_share") is not None:
            console.print(f"  top feature {importance['top_feature']!r} carries {importance['top_share']:.0%} "
                          "of the importance")


def _number(value: Any) -> str:
    return "—" if value is None else f"{value:.4g}"


def blessing_report(console: Console, report: Any) -> None:
    verdict = "[green]blessed[/]" if report.passed else ("[yellow]blessed by force[/]" if report.forced
                                                         else "[red]not blessed[/]")
    when = f" ({render.when(report.created_at)} by {report.created_by})" if report.created_at else ""
    console.print(f"blessing of {report.model}/{report.version}: {verdict}{when}")
    table = Table()
    for column in ("rule", "result", "reason"):
        table.add_column(column)
    for rule in report.rules:
        table.add_row(rule.rule, "[green]pass[/]" if rule.passed else "[red]fail[/]", escape(rule.reason))
    console.print(table)


def alias_change(console: Console, change: Any) -> None:
    before = change.from_version if change.from_version is not None else "—"
    after = change.to_version if change.to_version is not None else "—"
    forced = " [yellow](forced: not blessed)[/]" if change.forced else ""
    console.print(f"{change.model}@{change.alias}: version {before} → {after}{forced}")
