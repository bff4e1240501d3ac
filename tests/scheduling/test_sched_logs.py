"""configure_logging: readable or JSON lines on stderr and in a file rotated by size into gzip files."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import pytest

from mloop.core.logs import configure_logging


def test_log_files_rotate_into_gzip_and_json_lines_carry_extra_fields(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    logger = configure_logging("sched-test", level="info", json=True, folder=tmp_path, max_bytes=2000, backups=2,
                               loggers=("mloop.sched-test",))
    try:
        logger.debug("not shown")
        for index in range(60):
            logger.info("schedule %s started", f"s{index}", extra={"schedule": f"s{index}"})
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
    current = [json.loads(line) for line in (tmp_path / "sched-test.log").read_text().splitlines()]
    assert current[-1]["message"] == "schedule s59 started" and current[-1]["schedule"] == "s59"
    assert current[-1]["level"] == "info" and current[-1]["logger"] == "mloop.sched-test"
    rotated = sorted(p.name for p in tmp_path.iterdir() if p.name != "sched-test.log")
    assert rotated == ["sched-test.log.1.gz", "sched-test.log.2.gz"]
    older = [json.loads(line) for line in gzip.decompress((tmp_path / "sched-test.log.1.gz").read_bytes()).splitlines()]
    assert older and int(older[-1]["schedule"][1:]) < int(current[0]["schedule"][1:])
    err = capsys.readouterr().err
    assert "schedule s0 started" in err and "not shown" not in err


def test_configuring_again_replaces_its_handlers(tmp_path: Path) -> None:
    first = configure_logging("sched-again", folder=tmp_path, loggers=("mloop.sched-again",))
    second = configure_logging("sched-again", folder=tmp_path, level=logging.WARNING, loggers=("mloop.sched-again",))
    try:
        assert first is second and len(second.handlers) == 2 and second.level == logging.WARNING
    finally:
        for handler in list(second.handlers):
            second.removeHandler(handler)
            handler.close()
