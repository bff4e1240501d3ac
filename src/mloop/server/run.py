"""`mloop server` / `mloop ui`: check what can be checked before binding, then run the app on uvicorn."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from mloop.core.errors import ConfigError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_server_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import jinja2  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"the server needs {exc.name}; install it with: pip install 'mloop[server]'") from None


def run_server(*, host: str = "127.0.0.1", port: int = 5000, workers: int = 1, auth: bool = False,
               allow_remote_without_auth: bool = False, log_level: str = "info",
               announce: Callable[[str], None] | None = None) -> None:
    """Serve the REST API and the UI until interrupted. Without auth the server listens on the
    loopback only unless `allow_remote_without_auth`: anyone who reaches it could change anything."""
    check_server_extra()
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    if not 0 < port < 65536:
        raise ConfigError(f"--port must be between 1 and 65535, got {port}")
    if not auth and host not in LOOPBACK and not allow_remote_without_auth:
        raise ConfigError(f"--host {host} without --auth would let anyone who reaches this machine change every run "
                          "and model; create a token (mloop tokens create NAME --role admin) and add --auth, or pass "
                          "--allow-unauthenticated")
    saved = {name: os.environ.get(name) for name in ("MLOOP_TRACKING_URI", "MLOOP_SERVER_PROCESS")}
    # the server is where the remote clients' calls end: it reads and writes its own stores, whatever
    # MLOOP_TRACKING_URI or a tracking_uri in mloop.yaml say (mloop.core.config)
    os.environ.pop("MLOOP_TRACKING_URI", None)
    os.environ["MLOOP_SERVER_PROCESS"] = "1"
    try:
        _check_can_start(host, port, auth)
    except BaseException:  # a refused start leaves the environment as it was (e.g. for the caller's process)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        raise
    if announce is not None:
        announce(f"http://{host}:{port}")
    import uvicorn

    from mloop.core.logs import configure_logging
    from mloop.serving.server import SERVER_LOGGERS

    configure_logging("server", level=log_level, loggers=SERVER_LOGGERS)
    os.environ["MLOOP_SERVER_AUTH"] = "1" if auth else "0"
    config: dict[str, Any] = {"host": host, "port": port, "log_level": log_level, "log_config": None,
                              "workers": workers, "factory": True, "timeout_graceful_shutdown": 10}
    uvicorn.run("mloop.server.run:app_from_environment", **config)


def _check_can_start(host: str, port: int, auth: bool) -> None:
    """The port is free and, with auth, someone can log in."""
    from mloop.serving.server import check_port

    check_port(host, port)
    if auth:
        import mloop

        if not any(token.role == "admin" for token in mloop.list_tokens(include_revoked=False)):
            raise ConfigError("--auth needs an admin token first, or nobody could log in: "
                              "mloop tokens create NAME --role admin")


def app_from_environment() -> Any:
    """The app each uvicorn worker builds (settings travel through the environment)."""
    from mloop.server.app import create_server_app

    return create_server_app(auth=os.environ.get("MLOOP_SERVER_AUTH") == "1")
