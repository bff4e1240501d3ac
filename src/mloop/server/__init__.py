"""The team server: one process (or several uvicorn workers) serving the versioned REST API
(`/api/v1/...`), the store API the remote client speaks (`/api/v1/stores/...`), artifact bytes,
and the web UI (mloop.ui), over the metadata and artifact stores of the workspace it runs in.

    mloop server --host 127.0.0.1 --port 5000      # a team's server (PostgreSQL + S3 behind it)
    mloop ui                                       # the same on the embedded default

Layer: top (beside mloop.cli); routes call the public API (`mloop`, `mloop.get_workspace()`)."""

from mloop.server.app import create_server_app
from mloop.server.run import run_server

__all__ = ["create_server_app", "run_server"]
