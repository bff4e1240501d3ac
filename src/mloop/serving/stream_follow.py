"""A stream consumer follows its alias like a server: every `poll_seconds` between batches it
resolves `fraud@champion` again, and when the alias moved it loads the new version, checks that
entries the old one read suit it (signature), and scores the next batch with it — recorded as a
swap of the stream deployment (or a refusal, and the old version goes on)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from mloop.core.clock import utcnow

if TYPE_CHECKING:
    from mloop.registry.loaded import LoadedModel
    from mloop.stores.workspace import Workspace

log = logging.getLogger("mloop.serving")


class AliasFollower:
    def __init__(self, model_ref: str, workspace: Workspace, poll_seconds: float = 2.0) -> None:
        self.name, _, self.alias = model_ref.partition("@")
        self.model_ref, self.workspace, self.poll_seconds = model_ref, workspace, poll_seconds
        self._next = time.monotonic() + poll_seconds
        self._refused: int | None = None

    def newer(self, current: LoadedModel, deployment: str | None) -> LoadedModel | None:
        """The version the alias points at now, loaded and checked, when it is another one than
        `current` (at most once per `poll_seconds`; None otherwise)."""
        if not self.alias or time.monotonic() < self._next:
            return None
        self._next = time.monotonic() + self.poll_seconds
        target = self.workspace.registry.model_aliases(self.name).get(self.name, {}).get(self.alias)
        if target is None or target == current.version.version or target == self._refused:
            return None
        from mloop.registry.versions import get_model_version
        from mloop.serving.router import SwapEvent, compatibility_problems

        version = get_model_version(f"{self.name}/{target}", workspace=self.workspace)
        problems = compatibility_problems(current.signature, version.signature)
        loaded = None if problems else version.load()
        event = SwapEvent(utcnow().isoformat(), "primary", self.model_ref, current.version.ref, version.ref,
                          switched=loaded is not None, reason="; ".join(problems) or "the alias moved")
        if loaded is None:
            self._refused = target
            log.warning("stream consumer keeps %s: %s does not suit its entries (%s)", current.version.ref,
                        version.ref, event.reason)
        if deployment is not None:
            from mloop.serving.deployments import record_swap

            record_swap(deployment, event, self.workspace)
        return loaded
