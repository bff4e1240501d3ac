"""One boundary for errors: an MloopError is one line and exit code 2 (traceback with --debug)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from rich.console import Console

from mloop import MloopError, RunFailed

F = TypeVar("F", bound=Callable[..., Any])
err_console = Console(stderr=True, highlight=False)
DEBUG = {"on": False}


def handle_errors(function: F) -> F:
    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except RunFailed as exc:
            _report(exc, code=1)
        except MloopError as exc:
            _report(exc, code=2)
        except KeyboardInterrupt as exc:
            _interrupted(exc)

    return wrapper  # type: ignore[return-value]


def _interrupted(exc: KeyboardInterrupt) -> None:
    """Ctrl-C: say what was stopped and how to go on (a run's message names its resume command)."""
    from rich.markup import escape

    err_console.print(f"[red]{escape(str(exc) or 'interrupted')}[/red]", soft_wrap=True)
    if getattr(exc, "abandoned", False):
        # steps left running in threads would hold the process open until they end
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    raise typer.Exit(130) from None


def _report(exc: BaseException, code: int) -> None:
    if DEBUG["on"]:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    from rich.markup import escape

    # continuation lines (e.g. a caret under a filter token) stay aligned under the first line
    err_console.print(f"[red]error:[/red] {escape(str(exc))}".replace("\n", "\n" + " " * len("error: ")), soft_wrap=True)
    raise typer.Exit(code)
