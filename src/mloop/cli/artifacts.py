from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.tree import Tree

import mloop
from mloop.cli import documents, render
from mloop.cli.errors import handle_errors
from mloop.cli.render import Column

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Inspect artifacts and their lineage.")
console = render.out_console()
JSON = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables (for scripts).")]


@app.command("list")
@handle_errors
def list_artifacts(limit: Annotated[int, typer.Option(help="At most this many (newest first).")] = 20,
                   as_json: JSON = False) -> None:
    """The newest artifacts."""
    found = mloop.list_artifacts(limit)
    if as_json:
        render.print_json([documents.artifact(a) for a in found])
        return
    if not found:
        console.print("no artifacts yet; a pipeline run stores its steps' outputs: mloop run pipeline.yaml")
        return
    columns = [Column("artifact"), Column("kind"), Column("type", fixed=False, min_width=16), Column("size", drop=2),
               Column("summary", fixed=False, drop=1, min_width=16)]
    rows = [[a.id[:16], a.kind, render.escape(a.type_name), render.size(a.size), render.summary(a.summary)]
            for a in found]
    table, hidden = render.fit_table(console, columns, rows)
    console.print(table)
    if hidden:
        console.print(render.hidden_note(hidden))


@app.command()
@handle_errors
def show(artifact_id: Annotated[str, typer.Argument(help="Artifact id (a unique prefix is enough).")],
         as_json: JSON = False) -> None:
    """One artifact: type, size, where it is stored, its summary."""
    artifact = mloop.get_artifact(artifact_id)
    if as_json:
        render.print_json(documents.artifact(artifact))
        return
    console.print(f"artifact [bold]{artifact.id}[/]")
    for label, value in (("kind", artifact.kind), ("type", artifact.type_name), ("materializer", artifact.materializer),
                         ("size", render.size(artifact.size)), ("uri", artifact.uri),
                         ("created", render.when(artifact.created_at))):
        console.print(f"  {label:<13}{render.escape(str(value))}", soft_wrap=True)
    for key, value in artifact.summary.items():
        console.print(f"  {key:<13}{render.escape(str(value))}", soft_wrap=True)


@app.command()
@handle_errors
def lineage(artifact_id: Annotated[str, typer.Argument(help="Artifact id (a unique prefix is enough).")],
            as_json: JSON = False) -> None:
    """Upstream (the data and code that produced it) and downstream (what consumed it)."""
    result = mloop.get_artifact(artifact_id).lineage()
    if as_json:
        render.print_json(documents.lineage(result))
        return
    for title, nodes, upstream in (("upstream", result.upstream, True), ("downstream", result.downstream, False)):
        tree = Tree(f"[bold]{title}[/] of {result.root.id[:12]} ({result.root.type_name})")
        known = {node.id: node for node in nodes}
        children: dict[str, list[tuple[str, str]]] = {}
        for source, target, name in result.edges:
            parent, child = (target, source) if upstream else (source, target)
            children.setdefault(parent, []).append((child, name))
        _grow(tree, result.root.id, known, children, {result.root.id})
        console.print(tree if nodes else f"{title}: none")


def _grow(branch: Tree, node_id: str, known: dict[str, Any], children: dict[str, list[tuple[str, str]]],
          seen: set[str]) -> None:
    for child_id, name in sorted(children.get(node_id, [])):
        node = known.get(child_id)
        if node is None or child_id in seen:
            continue
        if node.kind == "step":
            label = (f"step [bold]{node.label}[/] {render.status(node.detail['status'])} "
                     f"run {node.detail['run_id']} code {render.short(node.detail['source_hash'])}")
        else:
            source = f" from {node.detail['source']}" if node.detail.get("source") else ""
            label = f"{name}: {node.detail['kind']} {node.id[:12]} {node.label}{source}"
        _grow(branch.add(label), child_id, known, children, seen | {child_id})


@app.command()
@handle_errors
def verify(
    repair: Annotated[bool, typer.Option("--repair", help="Remove corrupted objects, so runs rebuild them.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Check every stored object against its digest (exit code 1 when any is corrupted)."""
    import json

    from mloop import verify_artifacts

    check = verify_artifacts(repair=repair)
    if as_json:
        print(json.dumps(check.to_dict(), indent=2))
    else:
        for item in check.damaged:
            done = "removed" if item.removed else "corrupted"
            console.print(f"{done} {item.digest[:12]}: {item.reason}; {item.rebuild_hint()}", soft_wrap=True)
        verdict = "all intact" if check.ok else f"{len(check.damaged)} corrupted" + (", removed" if repair else "")
        console.print(f"checked {check.checked} object(s) in {check.store}: {verdict}", soft_wrap=True)
        if check.damaged and not repair:
            console.print("remove them with: mloop artifacts verify --repair", soft_wrap=True)
    if check.damaged and not repair:
        raise typer.Exit(1)
