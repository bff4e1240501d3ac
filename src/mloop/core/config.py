"""Where mloop keeps its state: `mloop.yaml` in the project folder, overridden by MLOOP_* variables.

The project folder is the nearest folder, from the current one upwards, that holds `mloop.yaml`
or `.mloop/`; without one, the current folder. Embedded defaults: SQLite at `.mloop/mloop.db`,
artifacts in `.mloop/artifacts`, online feature values in SQLite at `.mloop/online.db`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mloop.core.errors import ConfigError, invalid_yaml

CONFIG_FILE = "mloop.yaml"
STATE_DIR = ".mloop"
#: set by `mloop server` for its own process: it ignores tracking_uri (it is the server)
SERVER_PROCESS = "MLOOP_SERVER_PROCESS"
_KEYS = {"db_url", "artifacts_url", "online_url", "tracking_uri", "executor", "max_workers", "address",
         "s3_endpoint_url", "webhooks", "token"}
_ENV = {
    "db_url": "MLOOP_DB_URL",
    "artifacts_url": "MLOOP_ARTIFACTS_URL",
    "online_url": "MLOOP_ONLINE_URL",
    "tracking_uri": "MLOOP_TRACKING_URI",
    "executor": "MLOOP_EXECUTOR",
    "max_workers": "MLOOP_MAX_WORKERS",
    "address": "MLOOP_ADDRESS",
    "s3_endpoint_url": "MLOOP_S3_ENDPOINT_URL",
    "token": "MLOOP_TOKEN",
}


@dataclass(frozen=True)
class Settings:
    root: Path
    db_url: str
    artifacts_url: str
    online_url: str = ""
    tracking_uri: str = ""
    executor: str = "thread"
    max_workers: int = field(default_factory=lambda: max(2, os.cpu_count() or 2))
    address: str = ""
    #: S3-compatible endpoint (MinIO, Ceph, ...); default: AWS_ENDPOINT_URL or AWS itself
    s3_endpoint_url: str = ""
    #: webhooks declared in mloop.yaml: (url, events, format), e.g.
    #: `webhooks: [{url: https://hooks.slack.com/..., events: [alerts], format: slack}]`
    webhooks: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    #: the API token a remote client sends to the server at `tracking_uri` (mloop tokens create)
    token: str = field(default="", repr=False)

    @property
    def artifacts_options(self) -> dict[str, str]:
        return {"endpoint_url": self.s3_endpoint_url} if self.s3_endpoint_url else {}

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def find_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file() or (folder / STATE_DIR).is_dir():
            return folder
    return here


def load_settings(start: Path | None = None) -> Settings:
    root = Path(os.environ["MLOOP_HOME"]).resolve() if os.environ.get("MLOOP_HOME") else find_root(start)
    values: dict[str, Any] = {}
    config_path = root / CONFIG_FILE
    if config_path.is_file():
        values.update(_read_config(config_path))
    for key, variable in _ENV.items():
        if os.environ.get(variable):
            values[key] = os.environ[variable]
    state = root / STATE_DIR
    values.setdefault("db_url", f"sqlite:///{state / 'mloop.db'}")
    values.setdefault("artifacts_url", str(state / "artifacts"))
    values.setdefault("online_url", f"sqlite:///{state / 'online.db'}")
    if os.environ.get(SERVER_PROCESS) == "1":
        values.pop("tracking_uri", None)  # the server is where remote calls end: it uses its own stores
    elif values.get("tracking_uri"):
        # remote client mode: metadata and artifacts go through the server (mloop.stores.remote)
        _check_tracking_uri(values["tracking_uri"])
        values["db_url"] = values["artifacts_url"] = values["tracking_uri"] = values["tracking_uri"].rstrip("/")
    if "max_workers" in values:
        try:
            values["max_workers"] = int(values["max_workers"])
        except ValueError:
            raise ConfigError(f"max_workers must be a whole number, got {values['max_workers']!r}") from None
    return Settings(root=root, **values)


def _check_tracking_uri(uri: str) -> None:
    """A tracking_uri is an mloop server's http(s) URL; anything else (a typo such as htp://) is
    refused here in one line rather than read as a database URL further down."""
    parsed = urlsplit(uri)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"tracking_uri {uri!r} (MLOOP_TRACKING_URI or mloop.yaml) is not an mloop server's URL: "
                          "use http://HOST:PORT (or https://) where `mloop server` runs, or unset it to work locally")


def _read_config(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(invalid_yaml(path, exc)) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must be a mapping of settings, e.g. 'db_url: sqlite:///.mloop/mloop.db'")
    unknown = set(data) - _KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown setting {sorted(unknown)[0]!r}; known: {', '.join(sorted(_KEYS))}")
    values = {k: str(v) if k not in ("max_workers", "webhooks") else v for k, v in data.items() if v is not None}
    if "webhooks" in values:
        values["webhooks"] = _webhooks(path, values["webhooks"])
    return values


def _webhooks(path: Path, declared: Any) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    """`webhooks:` entries as (url, events, format); a URL alone means every event, as JSON."""
    example = "e.g. 'webhooks: [{url: https://hooks.example.com/x, events: [alerts], format: slack}]'"
    if not isinstance(declared, list):
        raise ConfigError(f"{path}: webhooks must be a list, {example}")
    found = []
    for entry in declared:
        spec = {"url": entry} if isinstance(entry, str) else entry
        if not isinstance(spec, dict) or not isinstance(spec.get("url"), str) or set(spec) - {"url", "events",
                                                                                              "format"}:
            raise ConfigError(f"{path}: each webhook is a URL or a mapping of url, events, format; {example}")
        events = spec.get("events") or ["alerts", "registry"]
        events = [events] if isinstance(events, str) else events
        found.append((spec["url"], tuple(str(e) for e in events), str(spec.get("format") or "json")))
    return tuple(found)


def init_project(folder: Path | str = ".") -> Path:
    """Make `folder` (created if needed) an mloop project: `mloop.yaml` (kept if it exists) and
    `.mloop/`; returns the path of `mloop.yaml`."""
    root = Path(folder).resolve()
    root.mkdir(parents=True, exist_ok=True)
    return write_default_config(root)


def write_default_config(root: Path) -> Path:
    path = root / CONFIG_FILE
    if not path.exists():
        path.write_text(
            "# mloop settings; each can be overridden by an MLOOP_* environment variable.\n"
            "# db_url: postgresql+psycopg://user@host:5432/mloop   # default: sqlite:///.mloop/mloop.db\n"
            "# artifacts_url: s3://bucket/prefix                   # default: .mloop/artifacts\n"
            "# executor: thread                                    # thread | process | dask\n"
            "# max_workers: 4\n"
            "# address: tcp://host:8786                            # Dask scheduler; none: a LocalCluster\n"
            "# s3_endpoint_url: http://minio-host:9000             # S3-compatible server; none: AWS\n"
            "# webhooks: [{url: https://hooks.slack.com/services/..., events: [alerts], format: slack}]\n"
        )
    (root / STATE_DIR).mkdir(exist_ok=True)
    return path
