"""`mloop serve MODEL@ALIAS`: online serving over HTTP."""

from __future__ import annotations

from typing import Annotated

import typer

from mloop.cli.errors import handle_errors


@handle_errors
def serve_command(
    model: Annotated[str, typer.Argument(help="The model to serve: NAME@ALIAS (followed: hot swap) or NAME/VERSION.")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    workers: Annotated[int, typer.Option(help="Worker processes sharing the port.")] = 1,
    max_batch_size: Annotated[int, typer.Option("--max-batch-size", help="Most rows per predict call.")] = 64,
    max_wait_ms: Annotated[float, typer.Option(
        "--max-wait-ms", help="Hold a request up to this long for a fuller batch (0: never hold; requests arriving "
                              "during a predict still form the next batch).")] = 0.0,
    max_queue: Annotated[int | None, typer.Option(
        "--max-queue", help="Rows that may wait (default: one batch; more waits longer than max-wait + one predict).")] = None,
    no_batching: Annotated[bool, typer.Option("--no-batching", help="Predict each request on its own.")] = False,
    canary: Annotated[str | None, typer.Option(help="A second version taking --canary-percent of requests.")] = None,
    canary_percent: Annotated[float, typer.Option("--canary-percent", help="Share of requests (0-100).")] = 10.0,
    shadow: Annotated[str | None, typer.Option(help="A version receiving copies of requests; its answers are not returned.")] = None,
    shadow_percent: Annotated[float, typer.Option("--shadow-percent", help="Share of requests copied (0-100).")] = 100.0,
    no_follow: Annotated[bool, typer.Option("--no-follow", help="Keep the version loaded at start (no hot swap).")] = False,
    poll_seconds: Annotated[float, typer.Option("--poll-seconds", help="How often aliases are checked.")] = 2.0,
    max_body_mb: Annotated[float, typer.Option("--max-body-mb", help="Largest request body accepted.")] = 10.0,
) -> None:
    """Serve a model over HTTP: /predict, Open Inference Protocol v2, /metadata, /metrics, /docs."""
    from mloop import ConfigError
    from mloop.serving import BatchingOptions, ServeOptions, serve

    if max_batch_size < 1 or max_wait_ms < 0 or (max_queue is not None and max_queue < 1):
        raise ConfigError("--max-batch-size and --max-queue must be at least 1 and --max-wait-ms at least 0")
    if max_body_mb <= 0 or poll_seconds <= 0:
        raise ConfigError("--max-body-mb and --poll-seconds must be positive")
    batching = BatchingOptions(max_batch_size, max_wait_ms, max_queue, enabled=not no_batching)
    options = ServeOptions(batching, canary=canary, canary_percent=canary_percent if canary else 0.0,
                           shadow=shadow, shadow_percent=shadow_percent if shadow else 0.0, follow=not no_follow,
                           poll_seconds=poll_seconds, max_body_bytes=int(max_body_mb * 1024 * 1024))
    serve(model, host=host, port=port, workers=workers, options=options)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
