"""The `mloop` console script in a real terminal (a pty of 100 columns), read as it writes."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal:
    """A child `mloop` whose stdout and stderr are one pty; `screen` is all it wrote, escapes stripped."""

    def __init__(self, *args: str, cwd: Path, columns: int = 100) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, columns, 0, 0))
        env = dict(os.environ, COLUMNS=str(columns), LINES="30", TERM="xterm-256color")
        script = Path(sys.executable).with_name("mloop")
        self.process = subprocess.Popen([str(script), *args], cwd=cwd, env=env, stdin=slave, stdout=slave,
                                        stderr=slave, close_fds=True)
        os.close(slave)
        self.master = master
        self.raw = b""

    @property
    def screen(self) -> str:
        return ANSI.sub("", self.raw.decode("utf-8", errors="replace")).replace("\r", "\n")

    def read_until(self, text: str, limit: float = 60.0) -> bool:
        """Read until `text` is on the screen (True) or the child ended without writing it (False).
        `limit` is only a watchdog against a hung child, never a measure of speed."""
        deadline = time.monotonic() + limit
        while text not in self.screen:
            if not self._read_some(deadline):
                return text in self.screen
        return True

    def wait(self, limit: float = 120.0) -> int:
        deadline = time.monotonic() + limit
        while self._read_some(deadline):
            pass
        return self.process.wait(timeout=max(1.0, deadline - time.monotonic()))

    def _read_some(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    return False
                if not chunk:
                    return False
                self.raw += chunk
                return True
            if self.process.poll() is not None:
                # drain what is left, then report the end
                ready, _, _ = select.select([self.master], [], [], 0)
                if not ready:
                    return False
        return False

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)
