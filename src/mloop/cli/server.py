"""`mloop server` (a team's REST API and web UI) and `mloop ui` (the same on this folder's workspace)."""

from __future__ import annotations

from typing import Annotated

import typer

from mloop.cli.errors import handle_errors


@handle_errors
def server_command(
    host: Annotated[str, typer.Option(help="Address to listen on (anything but the loopback needs --auth).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 5000,
    workers: Annotated[int, typer.Option(help="Worker processes sharing the port.")] = 1,
    auth: Annotated[bool, typer.Option("--auth", help="Require an API token (mloop tokens) on every route.")] = False,
    allow_unauthenticated: Annotated[bool, typer.Option(
        "--allow-unauthenticated", help="Listen beyond the loopback without --auth (anyone reaching it may change anything).")] = False,
) -> None:
    """Serve the REST API (/api/v1, docs at /api/docs) and the web UI over this workspace's stores."""
    from mloop.server.run import run_server

    def announce(url: str) -> None:
        typer.echo(f"mloop server on {url} (web UI: /, API docs: /api/docs){' · auth on' if auth else ''}", err=True)

    run_server(host=host, port=port, workers=workers, auth=auth, allow_remote_without_auth=allow_unauthenticated,
               announce=announce)


@handle_errors
def ui_command(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 5000,
) -> None:
    """Open the web UI of this folder's workspace on http://127.0.0.1:PORT (the server, locally)."""
    from mloop.core.config import load_settings
    from mloop.core.errors import ConfigError
    from mloop.server.run import run_server

    remote = load_settings().tracking_uri
    if remote:  # the server would ignore it and show an empty local workspace: say where the data is
        raise ConfigError(f"this folder is a client of the mloop server at {remote} (MLOOP_TRACKING_URI or "
                          f"tracking_uri in mloop.yaml): open its web UI at {remote}/, or unset it to see this "
                          "folder's own workspace")
    run_server(host="127.0.0.1", port=port, announce=lambda url: typer.echo(f"mloop ui on {url}", err=True))


def register(app: typer.Typer) -> None:
    app.command("server")(server_command)
    app.command("ui")(ui_command)
