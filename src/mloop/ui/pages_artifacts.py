"""The artifact page (`/artifacts/{id}`: producer, consumers, lineage graph, previews) and
quality reports inline: `/reports/{id}` is the report's own self-contained HTML document (served
with a CSP that allows only its inline style and script), `/reports/{id}/view` the page that
shows it in a sandboxed iframe."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

import mloop
from mloop.core.errors import NotFoundError
from mloop.server import security
from mloop.ui import artifact_view
from mloop.ui.graph import dag_svg
from mloop.ui.page_errors import PageRoute
from mloop.ui.render import render

router = APIRouter(include_in_schema=False, route_class=PageRoute)

#: the report documents carry their own inline style and script, and nothing else
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


@router.get("/artifacts/{artifact_id}")
def artifact_page(request: Request, artifact_id: str,
                  principal: security.Principal = Depends(security.current_principal)) -> Any:
    security.authorize(principal, "read", "artifacts")
    artifact = artifact_view.find_artifact(artifact_id)
    info = artifact_view.artifact_info(artifact)
    graph = artifact_view.lineage_graph(artifact)
    table = artifact_view.table_preview(artifact)
    return render(request, "artifact.html", artifact=info,
                  lineage_svg=dag_svg(graph.nodes, graph.edges, title=f"lineage of {artifact.id[:12]}"),
                  table=table, profile=artifact_view.table_profile(artifact) if table is not None else None,
                  text=artifact_view.text_preview(artifact), models=_models_of(info["model_versions"]))


def _models_of(refs: list[str]) -> list[dict[str, Any]]:
    from mloop.ui.registry_view import signature_rows

    models = []
    for ref in refs:
        version = mloop.get_model_version(ref)
        models.append({"ref": ref, "name": version.name, "version": version.version,
                       "signature": signature_rows(version), "aliases": version.aliases})
    return models


def _report(artifact_id: str) -> Any:
    artifact = artifact_view.find_artifact(artifact_id)
    if not (artifact.summary or {}).get("quality_report"):
        raise NotFoundError(f"artifact {artifact.id[:12]} is not a validation, drift or profile report; "
                            f"see what it is at /artifacts/{artifact.id}")
    return artifact


@router.get("/reports/{artifact_id}")
def report_document(artifact_id: str, principal: security.Principal = Depends(security.current_principal)) -> Any:
    from mloop.quality.reporting import render_report

    security.authorize(principal, "read", "artifacts")
    html = render_report(_report(artifact_id).load())
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP, "X-Content-Type-Options": "nosniff",
                                       "Referrer-Policy": "no-referrer"})


@router.get("/reports/{artifact_id}/view")
def report_page(request: Request, artifact_id: str,
                principal: security.Principal = Depends(security.current_principal)) -> Any:
    security.authorize(principal, "read", "artifacts")
    artifact = _report(artifact_id)
    return render(request, "report.html", artifact=artifact, kind=artifact.summary.get("quality_report"),
                  passed=artifact.summary.get("passed"), subject=artifact.summary.get("subject", ""))
