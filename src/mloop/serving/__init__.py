"""Serving models: online over HTTP (`serve`, `create_app`), with micro-batching, hot swap,
canary and shadow traffic.

Importing this package imports no web framework; `create_app` and `serve` need the `serve` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from mloop.stores.workspace import Workspace

from mloop.serving.deployments import get_deployment, list_deployments
from mloop.serving.options import BatchingOptions, ServeOptions

__all__ = ["BatchingOptions", "ServeOptions", "create_app", "get_deployment", "list_deployments", "serve"]


def create_app(model_ref: str, options: ServeOptions | None = None, workspace: Workspace | None = None) -> FastAPI:
    from mloop.serving.app import create_app as create
    from mloop.serving.server import check_serving_extra

    check_serving_extra()
    return create(model_ref, options, workspace)


def serve(model_ref: str, *, host: str = "127.0.0.1", port: int = 8080, workers: int = 1,
          options: ServeOptions | None = None, log_level: str = "info") -> None:
    """Serve `model_ref` over HTTP until interrupted (what `mloop serve` runs)."""
    from mloop.serving.server import serve as run

    run(model_ref, host=host, port=port, workers=workers, options=options, log_level=log_level)
