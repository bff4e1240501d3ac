"""Model serving: scoring streams (and, from the other parts of issue 10, online and batch).

Import the public names from `mloop`; this package's modules are private.
"""

from __future__ import annotations

from mloop.serving.stream import StreamScorer, StreamStats, score_stream

__all__ = ["StreamScorer", "StreamStats", "score_stream"]
