"""The team server: one process (or several uvicorn workers) serving the versioned REST API
(`/api/v1/...`), the store API the remote client speaks (`/api/v1/stores/...`), artifact bytes,
and the web UI (mloop.ui), over the metadata and artifact stores of the workspace it runs in.

    mloop server --host 127.0.0.1 --port 5000      # a team's server (PostgreSQL + S3 behind it)
    mloop ui                                       # the same on the embedded default

`mloop.server.app.create_server_app()` builds the ASGI app, `mloop.server.run.run_server()` runs it.
This package module imports nothing, so the UI's pages can use `mloop.server.security` without
loading the app that includes them. Layer: top (beside mloop.cli); routes call the public API."""
