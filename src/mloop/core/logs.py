"""Logging for mloop's long-running processes (scheduler, server): one line per record on stderr
and in `.mloop/logs/<component>.log`, rotated by size, rotated files gzip-compressed."""

from __future__ import annotations

import gzip
import json as jsonlib
import logging
import logging.handlers
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

#: record attributes that are not extra fields
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return jsonlib.dumps(entry, default=str)


_READABLE = logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")


def configure_logging(component: str, *, level: str | int = "INFO", to_file: bool = True, json: bool = False,
                      folder: Path | None = None, max_bytes: int = 10 * 2**20, backups: int = 5,
                      loggers: tuple[str, ...] = ("mloop",)) -> logging.Logger:
    """Configure a process's logging (the scheduler, a server): records of `loggers` (default:
    everything mloop logs) at `level` and above to stderr and, with `to_file`, to
    `<folder>/<component>.log` (default folder: the project's `.mloop/logs`), rotated at
    `max_bytes` into `backups` gzip files. Readable lines, or JSON objects with `json`. Returns
    the first logger; calling it again replaces the handlers it added."""
    chosen = [logging.getLogger(name) for name in loggers]
    for logger in chosen:
        logger.setLevel(level.upper() if isinstance(level, str) else level)
        logger.propagate = False
        for handler in [h for h in logger.handlers if getattr(h, "_mloop", False)]:
            logger.removeHandler(handler)
            handler.close()
    formatter = JsonFormatter() if json else _READABLE
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if to_file:
        if folder is None:
            from mloop.core.config import load_settings

            folder = load_settings().state_dir / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(folder / f"{component}.log", maxBytes=max_bytes,
                                                        backupCount=backups, encoding="utf-8")
        rotating.namer = _gz_name
        rotating.rotator = _gzip_rotated
        handlers.append(rotating)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler._mloop = True  # type: ignore[attr-defined]
        for logger in chosen:
            logger.addHandler(handler)
    return chosen[0]


def _gz_name(name: str) -> str:
    return name + ".gz"


def _gzip_rotated(source: str, destination: str) -> None:
    with open(source, "rb") as plain, gzip.open(destination + ".tmp", "wb") as packed:
        shutil.copyfileobj(plain, packed)
    os.replace(destination + ".tmp", destination)
    os.remove(source)
