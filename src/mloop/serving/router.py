"""Which version answers a request: the primary, a canary taking a share of traffic, a shadow
receiving copies; and hot swap: each slot follows its alias and switches only to a version that
passed its check (compatible signature, a warm-up prediction on recent requests).

A switch is one attribute assignment, so a request sees either the old version or the new one.
The old version's batcher then predicts what it still holds before it stops; a request that
reaches it after that is sent to the current version (see `Router.predict_records`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from mloop.core.clock import utcnow
from mloop.core.errors import ValidationError
from mloop.registry.references import LATEST, parse_ref
from mloop.serving.batching import BatchStats, QueueFullError
from mloop.serving.models import Job, OnPredicted, Predictions, ServedModel
from mloop.serving.options import BatchingOptions

if TYPE_CHECKING:
    from mloop.registry.signature import Signature
    from mloop.registry.versions import ModelVersion
    from mloop.stores.workspace import Workspace

log = logging.getLogger("mloop.serving")

ROLES = ("primary", "canary", "shadow")


@dataclass(frozen=True)
class SwapEvent:
    time: str
    role: str
    follows: str
    from_version: str | None
    to_version: str
    switched: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Slot:
    """A role (primary, canary, shadow) served by the version its reference resolves to now."""

    def __init__(self, role: str, ref: str, percent: float, workspace: Workspace, options: BatchingOptions,
                 on_batch: Callable[[ServedModel, BatchStats], None] | None,
                 on_predicted: OnPredicted | None = None) -> None:
        from mloop.registry.versions import get_model_version

        self.role, self.ref, self.percent = role, ref, percent
        self._workspace, self._options, self._on_batch, self._on_predicted = workspace, options, on_batch, on_predicted
        parsed = parse_ref(ref)
        self.name, self.alias = parsed.name, parsed.alias
        self.model = self._served(get_model_version(ref, workspace=workspace))
        self.refused: set[int] = set()

    def _served(self, version: ModelVersion) -> ServedModel:
        return ServedModel(version, self._options, self._on_batch, role=self.role, on_predicted=self._on_predicted)

    @property
    def follows(self) -> bool:
        return self.alias is not None

    def target_version(self) -> int | None:
        """The version the reference points at now (None: the alias is gone)."""
        registry = self._workspace.registry
        if self.alias == LATEST:
            return registry.get_model(self.name).latest_version
        return registry.model_aliases(self.name).get(self.name, {}).get(self.alias or "")

    def candidate(self, number: int) -> ServedModel:
        from mloop.registry.versions import get_model_version

        return self._served(get_model_version(self.name, number, workspace=self._workspace))


class Router:
    """The slots of one served model and the choice between them."""

    def __init__(self, ref: str, workspace: Workspace, options: BatchingOptions, *,
                 canary: str | None = None, canary_percent: float = 0.0,
                 shadow: str | None = None, shadow_percent: float = 0.0,
                 on_batch: Callable[[ServedModel, BatchStats], None] | None = None,
                 on_swap: Callable[[SwapEvent], None] | None = None, require_ready: bool = False,
                 on_predicted: OnPredicted | None = None) -> None:
        for what, percent in (("canary", canary_percent), ("shadow", shadow_percent)):
            if not 0.0 <= percent <= 100.0:
                raise ValidationError(f"--{what}-percent must be between 0 and 100, got {percent:g}")
        self.primary = Slot("primary", ref, 100.0, workspace, options, on_batch, on_predicted)
        self.canary = (Slot("canary", canary, canary_percent, workspace, options, on_batch, on_predicted)
                       if canary else None)
        self.shadow = (Slot("shadow", shadow, shadow_percent, workspace, options, on_batch, on_predicted)
                       if shadow else None)
        self.swaps: deque[SwapEvent] = deque(maxlen=100)
        self._on_swap = on_swap
        self._require_ready = require_ready
        self._recent: deque[dict[str, Any]] = deque(maxlen=32)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._random = random.Random()

    @property
    def slots(self) -> list[Slot]:
        return [slot for slot in (self.primary, self.canary, self.shadow) if slot is not None]

    @property
    def name(self) -> str:
        return self.primary.name

    def choose(self, key: str | None) -> Slot:
        """The primary, or the canary for its share of requests (the same key always gets the same answer)."""
        canary = self.canary
        if canary is None or canary.percent <= 0:
            return self.primary
        return canary if _share(key, self._random) < canary.percent else self.primary

    def shadow_copy(self, key: str | None) -> Slot | None:
        shadow = self.shadow
        if shadow is None or shadow.percent <= 0:
            return None
        return shadow if _share(key, self._random) < shadow.percent else None

    async def predict_records(self, slot: Slot, job: Job) -> tuple[ServedModel, Predictions]:
        """Predict one request's records on `slot`'s current version, batched when batching is on
        (the batch is then logged by the version's `on_predicted`; unbatched answers are not)."""
        for _ in range(3):
            model = slot.model
            if model.batcher is None:  # no batching: each request on its own, in the default thread pool
                loop = asyncio.get_running_loop()
                return model, await loop.run_in_executor(None, model.predict_records, job.records)
            try:
                return model, await model.batcher.submit(job, len(job.records))
            except QueueFullError:
                if model is slot.model:  # really full (not a version that was just swapped out)
                    raise
        raise QueueFullError(f"{slot.ref}: versions are being swapped; retry")

    def remember(self, record: dict[str, Any]) -> None:
        """Keep a few real requests: the warm-up input of the next version."""
        self._recent.append(record)

    # hot swap -------------------------------------------------------------------------------

    def follow(self, poll_seconds: float = 2.0) -> None:
        """Start watching the aliases in a background thread."""
        if not any(slot.follows for slot in self.slots) or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._watch, args=(poll_seconds,), name="mloop-alias-follower",
                                        daemon=True)
        self._thread.start()

    def check_aliases(self) -> list[SwapEvent]:
        """Look at every followed alias once; load, check and switch to any version it moved to."""
        events = []
        for slot in self.slots:
            if not slot.follows:
                continue
            try:
                number = slot.target_version()
            except Exception as exc:  # the registry is unreachable for a moment: keep serving
                log.warning("cannot read %s: %s", slot.ref, exc)
                continue
            if number is None or number == slot.model.version.version or number in slot.refused:
                continue
            events.append(self._swap(slot, number))
        return events

    def _swap(self, slot: Slot, number: int) -> SwapEvent:
        old = slot.model
        target = f"{slot.name}/{number}"
        if self._require_ready:
            from mloop.serving.readiness import require_ready

            try:
                require_ready(slot.name, number, slot._workspace)
            except Exception as exc:
                return self._record(slot, old, target, False, str(exc), number)
        try:
            new = slot.candidate(number)
        except Exception as exc:
            return self._record(slot, old, target, False, f"cannot load it: {exc}", number)
        problems = compatibility_problems(old.signature, new.signature)
        if problems:
            new.close()
            return self._record(slot, old, target, False, "incompatible signature: " + "; ".join(problems), number)
        try:
            new.warm_up(list(self._recent) or None)
        except Exception as exc:
            new.close()
            return self._record(slot, old, target, False, f"warm-up prediction failed: {type(exc).__name__}: {exc}",
                                number)
        slot.model = new
        old.close()
        return self._record(slot, old, target, True, "", number)

    def _record(self, slot: Slot, old: ServedModel, target: str, switched: bool, reason: str,
                number: int) -> SwapEvent:
        if not switched:
            slot.refused.add(number)
        event = SwapEvent(utcnow().isoformat(), slot.role, slot.ref, old.ref, target, switched, reason)
        self.swaps.append(event)
        if switched:
            log.info("%s: switched from %s to %s", slot.ref, old.ref, target)
        else:
            log.warning("%s: not switching to %s: %s", slot.ref, target, reason)
        if self._on_swap is not None:
            self._on_swap(event)
        return event

    def _watch(self, poll_seconds: float) -> None:
        while not self._stop.wait(poll_seconds):
            self.check_aliases()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        for slot in self.slots:
            slot.model.close()


def compatibility_problems(old: Signature | None, new: Signature | None) -> list[str]:
    """Why requests the old version accepts would not suit the new one; [] when they would."""
    if old is None or new is None:
        return [] if old is None else ["the new version has no signature"]
    before = {c.name: c for c in old.inputs}
    after = {c.name: c for c in new.inputs}
    problems = [f"it needs column {name!r}, which requests do not carry" for name in after if name not in before]
    problems += [f"it does not take column {name!r}, which requests carry" for name in before if name not in after]
    for name in after.keys() & before.keys():
        was, now = before[name], after[name]
        if was.type != now.type and not (was.type == "integer" and now.type == "float"):
            problems.append(f"column {name!r} was {was.type}, now {now.type}")
        elif was.categories and now.categories is not None:
            lost = [c for c in was.categories if c not in now.categories]
            if lost:
                problems.append(f"column {name!r} no longer knows {', '.join(map(repr, lost[:5]))}")
        if was.nullable and not now.nullable:
            problems.append(f"column {name!r} may be null in requests, the new version allows no nulls")
    return sorted(problems)


def _share(key: str | None, chooser: random.Random) -> float:
    """A number in [0, 100): from the request key when given (sticky), else random."""
    if key is None:
        return chooser.random() * 100.0
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 * 100.0
