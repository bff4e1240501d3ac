"""`mloop serve`: checks what it can before binding a port, then runs the app on uvicorn (one
process, or several workers sharing the port and their metrics)."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import tempfile
from typing import Any

from mloop.core.errors import ConfigError
from mloop.serving.options import BatchingOptions, ServeOptions

_CONFIG_ENV = "MLOOP_SERVE_CONFIG"


def check_serving_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import prometheus_client  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"serving needs {exc.name}; install it with: pip install 'mloop[serve]'") from None


SERVER_LOGGERS = ("mloop", "uvicorn", "uvicorn.error")


def serve(model_ref: str, *, host: str = "127.0.0.1", port: int = 8080, workers: int = 1,
          options: ServeOptions | None = None, log_level: str = "info") -> None:
    """Serve `model_ref` over HTTP until interrupted. Unknown models or aliases, a bad option or a
    port in use are reported before anything starts."""
    from mloop.registry.versions import get_model_version

    options = options or ServeOptions()
    check_serving_extra()
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    if not 0 < port < 65536:
        raise ConfigError(f"--port must be between 1 and 65535, got {port}")
    primary = get_model_version(model_ref)  # NotFoundError names the model or alias and how to set it
    versions = [primary, *(get_model_version(ref) for ref in filter(None, (options.canary, options.shadow)))]
    if options.require_ready:
        from mloop.serving.readiness import require_ready

        for version in versions:
            require_ready(version.name, version.version)
    check_port(host, port)
    import uvicorn

    from mloop.serving.deployments import start_deployment, stop_deployment

    traffic = {role: {"ref": ref, "percent": percent} for role, ref, percent in (
        ("canary", options.canary, options.canary_percent), ("shadow", options.shadow, options.shadow_percent)) if ref}
    deployment_id = start_deployment(primary.name, model_ref, primary.ref, mode="online",
                                     url=f"http://{host}:{port}", traffic=traffic)
    options = dataclasses.replace(options, deployment_id=deployment_id)
    # uvicorn stops gracefully on SIGTERM, then raises the signal again with the handler found
    # at start: this one ends the process through `finally`, so the deployment is recorded stopped
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    from mloop.core.logs import configure_logging

    # mloop's and uvicorn's records, one format, to stderr and .mloop/logs/server.log (rotated, gzip)
    configure_logging("server", level=log_level, loggers=SERVER_LOGGERS)
    try:
        _run(uvicorn, model_ref, options, workers, {"host": host, "port": port, "log_level": log_level,
                                                    "log_config": None, "access_log": False,
                                                    "timeout_graceful_shutdown": 10})
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop_deployment(deployment_id)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def _run(uvicorn: Any, model_ref: str, options: ServeOptions, workers: int, settings: dict[str, Any]) -> None:
    if workers == 1:
        from mloop.serving.app import create_app

        uvicorn.run(create_app(model_ref, options), **settings)
        return
    os.environ[_CONFIG_ENV] = json.dumps({"ref": model_ref, "options": dataclasses.asdict(options)})
    with tempfile.TemporaryDirectory(prefix="mloop-metrics-") as folder:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        uvicorn.run("mloop.serving.server:app_from_environment", factory=True, workers=workers, **settings)


def app_from_environment() -> Any:
    """The app of one worker process, from the settings `serve` left in the environment (its logs
    go to stderr: one file rotated by several processes would lose lines)."""
    from mloop.core.logs import configure_logging
    from mloop.serving.app import create_app

    configure_logging("server", to_file=False, loggers=SERVER_LOGGERS)

    config = json.loads(os.environ[_CONFIG_ENV])
    fields = dict(config["options"])
    fields["batching"] = BatchingOptions(**fields["batching"])
    return create_app(config["ref"], ServeOptions(**fields))


def check_port(host: str, port: int) -> None:
    """ConfigError when `host:port` cannot be bound (in use, or not an address of this machine)."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        reason = "it is in use" if exc.errno == 98 else exc.strerror
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}; choose another with --port") from None
