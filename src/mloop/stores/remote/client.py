"""The HTTP client of one mloop server: one keep-alive `httpx.Client` per server URL, the bearer
token (MLOOP_TOKEN or `token:` in mloop.yaml), and the server's errors mapped back to mloop's.

Only connection failures are retried (the request never reached the server, so a retry cannot
write twice); a timeout or an HTTP error is reported at once."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from mloop.core import errors
from mloop.core.errors import BackendError, ConfigError, MloopError
from mloop.stores.remote.codec import decode, encode

#: seconds to wait for the server (a large log batch or artifact takes a while)
TIMEOUT = httpx.Timeout(300.0, connect=10.0)
#: the error classes a server may name in its reply (anything else maps by status)
_ERRORS: dict[str, type[MloopError]] = {cls.__name__: cls for cls in (
    errors.ConfigError, errors.NotFoundError, errors.ConflictError, errors.ValidationError, errors.GraphError,
    errors.IntegrityError, errors.BackendError)}
_BY_STATUS: dict[int, type[MloopError]] = {404: errors.NotFoundError, 409: errors.ConflictError,
                                           413: errors.ValidationError, 422: errors.ValidationError,
                                           400: errors.ValidationError}
_JSON = {"Content-Type": "application/json"}
_CLIENTS: dict[str, RemoteClient] = {}
_LOCK = threading.Lock()

# httpx logs every request at INFO, which a step's captured log (INFO and up) would fill with this
# client's own transport lines; unless the user configured it, it reports warnings only
if logging.getLogger("httpx").level == logging.NOTSET:
    logging.getLogger("httpx").setLevel(logging.WARNING)


class RemoteClient:
    """Calls to the server at `url` (`http(s)://host:port`, without /api/v1)."""

    def __init__(self, url: str, token: str = "") -> None:
        self.url = url.rstrip("/")
        self.has_token = bool(token)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=self.url + "/api/v1", headers=headers, timeout=TIMEOUT,
                                 transport=httpx.HTTPTransport(retries=2))

    def call(self, role: str, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """The result of `role.method(*args, **kwargs)` on the server's stores."""
        # json.dumps, not httpx's json=: a logged metric may be NaN, which strict JSON refuses
        body = json.dumps({"args": encode(list(args)), "kwargs": encode(kwargs)}, separators=(",", ":"))
        with self.errors(f"{role}.{method}"):
            response = self.http.post(f"/stores/{role}/{method}", content=body.encode(), headers=_JSON)
        self.raise_for(response)
        return decode(response.json()["result"])

    @contextmanager
    def errors(self, what: str) -> Iterator[None]:
        """Transport failures as one-line ConfigError / BackendError naming the server."""
        try:
            yield
        except httpx.ConnectError as exc:
            raise ConfigError(f"cannot reach the mloop server at {self.url} ({_reason(exc)}); is `mloop server` "
                              "running there? Check MLOOP_TRACKING_URI or tracking_uri in mloop.yaml") from None
        except httpx.TimeoutException as exc:
            raise BackendError(f"the mloop server at {self.url} did not answer {what} in time "
                               f"({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise BackendError(f"{what} on the mloop server at {self.url} failed: {_reason(exc)}") from None

    def raise_for(self, response: httpx.Response) -> None:
        """Raise the mloop error a non-2xx reply stands for."""
        if response.is_success:
            return
        try:
            error = response.json().get("error") or {}
        except ValueError:
            error = {}
        message = str(error.get("message") or response.text[:200] or response.reason_phrase).splitlines()[0]
        if response.status_code == 404 and not error:  # no such route: not an mloop server's root URL
            raise ConfigError(f"{response.request.url.path} is not found at {self.url}: set MLOOP_TRACKING_URI (or "
                              "tracking_uri in mloop.yaml) to the mloop server's root URL, http://HOST:PORT "
                              "without /api/v1 or a page's path")
        if response.status_code == 401 or error.get("type") == "Unauthorized":
            raise ConfigError(self._unauthorized())
        if response.status_code == 403 or error.get("type") == "Forbidden":
            raise ConfigError(f"the mloop server at {self.url} refused the call: {message}")
        cls = _ERRORS.get(str(error.get("type"))) or _BY_STATUS.get(response.status_code)
        if cls is None:
            raise BackendError(f"the mloop server at {self.url} failed with HTTP {response.status_code}: {message}")
        raise cls(message)

    def _unauthorized(self) -> str:
        """A 401 in one line: no token was sent, or the server does not know the one sent."""
        if self.has_token:
            return (f"the mloop server at {self.url} does not know the token in MLOOP_TOKEN (or `token:` in "
                    "mloop.yaml): it is mistyped or revoked; ask an admin for one (mloop tokens create NAME)")
        return (f"the mloop server at {self.url} needs a token: set MLOOP_TOKEN (or `token:` in mloop.yaml) to one "
                "an admin created there (mloop tokens create NAME --role editor)")

    def close(self) -> None:
        self.http.close()


def remote_client(url: str) -> RemoteClient:
    """The one client of the server at `url` in this process (the token is read when it is made)."""
    key = url.rstrip("/")
    client = _CLIENTS.get(key)
    if client is None:
        with _LOCK:
            client = _CLIENTS.get(key)
            if client is None:
                client = _CLIENTS[key] = RemoteClient(key, _token())
    return client


def close_clients() -> None:
    """Close every server connection (e.g. between tests)."""
    with _LOCK:
        clients = list(_CLIENTS.values())
        _CLIENTS.clear()
    for client in clients:
        client.close()


def _token() -> str:
    if os.environ.get("MLOOP_TOKEN"):
        return os.environ["MLOOP_TOKEN"]
    from mloop.core.config import load_settings

    return load_settings().token


def _reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

