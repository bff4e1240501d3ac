"""`mloop stream MODEL_REF --source URL --sink URL`: score a Redis Stream until stopped (SIGTERM,
Ctrl-C) or `--max-entries`, with a live status line and a summary at the end."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.console import Console

from mloop.cli import render
from mloop.cli.errors import err_console, handle_errors

console = render.out_console()
_PENDING_EVERY_S = 1.0


@handle_errors
def stream(
    model_ref: Annotated[str, typer.Argument(help="fraud@champion, fraud/3 or fraud@latest")],
    source: Annotated[str, typer.Option(help="Input stream, e.g. redis://127.0.0.1:6379/0?stream=tx "
                                             "(&group=...&consumer=... optional).")],
    sink: Annotated[str, typer.Option(help="Result stream, e.g. redis://127.0.0.1:6379/0?stream=scores "
                                           "(&maxlen=N optional); rejected entries go to <stream>:dead.")],
    group: Annotated[str | None, typer.Option(help="Consumer group (default: the source URL's, else mloop).")] = None,
    consumer: Annotated[str | None, typer.Option(help="This consumer's name; keep it across restarts to finish its "
                                                      "pending entries first (default: HOST-PID).")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Entries scored per predict call, at most.")] = 256,
    block_ms: Annotated[int, typer.Option("--block-ms", help="How long one read waits for new entries.")] = 100,
    claim_idle_ms: Annotated[int, typer.Option("--claim-idle-ms", help="Take over entries other consumers left "
                                                                       "pending this long.")] = 30_000,
    max_entries: Annotated[int | None, typer.Option("--max-entries", help="Stop after this many entries.")] = None,
    poll_seconds: Annotated[float, typer.Option("--poll-seconds", help="How often the alias is checked "
                                                                       "(a moved alias is followed).")] = 2.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON document.")] = False,
) -> None:
    """Score a Redis Stream with a consumer group: at-least-once, several consumers may share it."""
    from mloop.core.errors import ConfigError
    from mloop.serving import StreamScorer

    if max_entries is not None and max_entries < 1:
        raise ConfigError(f"--max-entries must be a whole number >= 1, got {max_entries}")
    status = StatusLine(err_console)
    scorer = StreamScorer(model_ref, source, sink, group=group, consumer=consumer, batch_size=batch_size,
                          block_ms=block_ms, claim_idle_ms=claim_idle_ms, on_batch=status.update,
                          poll_seconds=poll_seconds)
    with scorer:  # the model, both servers and the group, checked before any entry is read
        status.scorer = scorer
        with status:
            stats = scorer.run(max_entries=max_entries)
    if as_json:
        render.print_json(stats.to_dict())
        return
    console.print(summary(stats, scorer.dead_letter_stream))


def summary(stats: Any, dead_letter_stream: str) -> str:
    line = (f"scored {stats.scored:,} entries of {stats.source} with {stats.model_version} into {stats.sink} "
            f"in {stats.seconds:.1f} s ({stats.rows_per_s:,.0f} rows/s) as {stats.consumer} in group {stats.group}")
    if stats.claimed:
        line += f"; {stats.claimed:,} taken over from other consumers"
    if stats.dead_lettered:
        line += f"; {stats.dead_lettered:,} rejected into {dead_letter_stream}"
    return line + f"; {stats.pending:,} pending in the group"


class StatusLine:
    """One live line (on a terminal only): entries scored, rows/s, pending, dead-lettered. The
    group's pending count costs a round trip, so it is asked at most once a second."""

    def __init__(self, out: Console) -> None:
        from rich.progress import Progress, TextColumn

        self.progress = Progress(TextColumn("{task.description}"), console=out, transient=True,
                                 refresh_per_second=4, disable=not out.is_terminal)
        self.scorer: Any = None
        self.task: Any = None
        self.pending: int | str = "?"
        self.asked = 0.0

    def __enter__(self) -> StatusLine:
        self.progress.__enter__()
        self.task = self.progress.add_task("waiting for entries…")
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def update(self, stats: Any) -> None:
        if self.progress.disable or self.task is None:
            return
        now = time.monotonic()
        if self.scorer is not None and now - self.asked >= _PENDING_EVERY_S:
            self.asked = now
            self.pending = self.scorer.pending()
        self.progress.update(self.task, description=(
            f"scored {stats.scored:,} · {stats.rows_per_s:,.0f} rows/s · pending {self.pending} · "
            f"dead-lettered {stats.dead_lettered:,}"))
