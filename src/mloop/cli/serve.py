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
    no_log: Annotated[bool, typer.Option("--no-log", help="Do not log predictions.")] = False,
    require_ready: Annotated[bool, typer.Option(
        "--require-ready", help="Refuse a version whose latest `mloop deploy check` failed (or never ran).")] = False,
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
                           poll_seconds=poll_seconds, max_body_bytes=int(max_body_mb * 1024 * 1024),
                           require_ready=require_ready, log_predictions=not no_log)
    serve(model, host=host, port=port, workers=workers, options=options)


deploy_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Deployment readiness.")


@deploy_app.command("check")
@handle_errors
def check_command(
    model: Annotated[str, typer.Argument(help="NAME@ALIAS or NAME/VERSION.")],
    seconds: Annotated[float, typer.Option(help="Length of each load test (concurrency 1 and 16).")] = 3.0,
    no_load_test: Annotated[bool, typer.Option("--no-load-test", help="Only the checklist.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document (for scripts).")] = False,
) -> None:
    """Checklist (blessed, training data validated, signature, model card) and a load test; recorded
    with the version. Exit 1 when an item fails."""
    from mloop.cli import render
    from mloop.cli.errors import err_console
    from mloop.serving.readiness import check_readiness

    if seconds <= 0:
        from mloop import ConfigError

        raise ConfigError("--seconds must be positive")
    status = err_console.status("checking", spinner="dots") if err_console.is_terminal and not as_json else None
    if status is not None:
        status.start()
    try:
        report = check_readiness(model, load_seconds=seconds, load_test=not no_load_test,
                                 progress=status.update if status is not None else None)
    finally:
        if status is not None:
            status.stop()
    if as_json:
        render.print_json(report.to_dict())
    else:
        console = render.out_console()
        console.print(f"{report.ref}: " + ("[green]ready[/]" if report.passed else "[red]NOT ready[/]"))
        for item in report.items:
            mark = "[green]pass[/]" if item.passed else "[red]FAIL[/]"
            console.print(f"  {mark}  {item.name}: {render.escape(item.detail)}", soft_wrap=True)
    if not report.passed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
    app.add_typer(deploy_app, name="deploy")
