"""Directed acyclic graphs as inline SVG, laid out left to right in layers: a run's steps (status
colour, duration, cached marked) and an artifact's lineage (data → steps → model → deployments).

    dag_svg([GraphNode("train", "train", sub="1.2 s", status="succeeded", href="#step-train"), ...],
            [("split", "train"), ...], title="fraud-training")

Layout: each node sits in the layer after its deepest predecessor; within a layer nodes are
ordered by the mean position of their predecessors (one sweep keeps most edges from crossing).
Linear in nodes and edges, so a 100-step run draws in a millisecond or two."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 168, 46, 56, 14, 16


@dataclass(frozen=True)
class GraphNode:
    id: str
    label: str
    sub: str = ""        #: second line, e.g. a duration or a type
    status: str = ""     #: css class: succeeded, failed, running, pending, cached, skipped, or a kind
    href: str = ""       #: where a click goes
    hover: str = ""      #: text shown under the pointer


def layers(nodes: Sequence[GraphNode], edges: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Node ids per layer (longest path from a source), ordered to limit crossings; edges naming
    unknown nodes are ignored, and a cycle (which a DAG never has) cannot hang the layout."""
    ids = [node.id for node in nodes]
    known = set(ids)
    parents: dict[str, list[str]] = defaultdict(list)
    children: dict[str, list[str]] = defaultdict(list)
    indegree = dict.fromkeys(ids, 0)
    for source, target in edges:
        if source in known and target in known and source != target:
            parents[target].append(source)
            children[source].append(target)
            indegree[target] += 1
    depth = dict.fromkeys(ids, 0)
    ready = [node_id for node_id in ids if indegree[node_id] == 0]
    done: set[str] = set()
    while len(done) < len(ids):
        if not ready:  # a cycle (a step passing an artifact through unchanged): enter it where it is reached
            waiting = [node_id for node_id in ids if node_id not in done]
            ready.append(next((n for n in waiting if any(p in done for p in parents[n])), waiting[0]))
        current = ready.pop()
        if current in done:
            continue
        done.add(current)
        for child in children[current]:
            if child in done:  # the edge closing a cycle: drawn, but it places nothing
                continue
            depth[child] = max(depth[child], depth[current] + 1)
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
    grouped: dict[int, list[str]] = defaultdict(list)
    for node_id in ids:
        grouped[depth[node_id]].append(node_id)
    ordered: list[list[str]] = []
    position: dict[str, float] = {}
    for level in sorted(grouped):
        members = grouped[level]
        if ordered:
            members.sort(key=lambda n: (sum(position[p] for p in parents[n] if p in position)
                                        / max(1, sum(1 for p in parents[n] if p in position))))
        for index, node_id in enumerate(members):
            position[node_id] = index
        ordered.append(members)
    return ordered


def _text(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def dag_svg(nodes: Sequence[GraphNode], edges: Sequence[tuple[str, str]], *, title: str = "graph") -> Markup:
    """The graph as one SVG; each node a link (when it has `href`) with its status as css class."""
    by_id = {node.id: node for node in nodes}
    placed: dict[str, tuple[float, float]] = {}
    columns = layers(nodes, edges)
    tallest = max((len(column) for column in columns), default=1)
    height = PAD * 2 + tallest * NODE_H + (tallest - 1) * GAP_Y
    width = PAD * 2 + len(columns) * NODE_W + max(0, len(columns) - 1) * GAP_X
    for level, column in enumerate(columns):
        offset = (height - (len(column) * NODE_H + (len(column) - 1) * GAP_Y)) / 2
        for index, node_id in enumerate(column):
            placed[node_id] = (PAD + level * (NODE_W + GAP_X), offset + index * (NODE_H + GAP_Y))
    parts = [f'<svg class="graph" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height:.0f}" '
             f'width="{width}" height="{height:.0f}" xmlns="http://www.w3.org/2000/svg">',
             '<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" '
             'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#8a93a6"/></marker></defs>']
    for source, target in edges:
        if source in placed and target in placed and source != target:
            (x1, y1), (x2, y2) = placed[source], placed[target]
            x1, y1, x2, y2 = x1 + NODE_W, y1 + NODE_H / 2, x2, y2 + NODE_H / 2
            bend = max(24.0, (x2 - x1) / 2)
            parts.append(f'<path class="edge" data-edge="{escape(source)}→{escape(target)}" '
                         f'd="M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} {x2 - bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}" '
                         'marker-end="url(#arrow)"/>')
    for node_id, (x, y) in placed.items():
        node = by_id[node_id]
        hover = node.hover or " · ".join(filter(None, (node.label, node.status, node.sub)))
        inner = (f'<rect x="{x:.0f}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="6"/>'
                 f'<text x="{x + 10:.0f}" y="{y + 19:.0f}" font-weight="600">{escape(_text(node.label, 24))}</text>'
                 f'<text class="sub" x="{x + 10:.0f}" y="{y + 35:.0f}">{escape(_text(node.sub, 30))}</text>')
        group = (f'<g class="node {escape(node.status)}" data-node="{escape(node.id)}" '
                 f'data-hover="{escape(hover)}">{inner}</g>')
        parts.append(f'<a href="{escape(node.href)}">{group}</a>' if node.href else group)
    parts.append("</svg>")
    return Markup(f'<div class="chart-box">{"".join(parts)}</div>')
