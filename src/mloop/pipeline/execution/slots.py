"""What the local executors can run at once: cpu slots (the pool's workers) and this machine's
memory. A step starts when its declared `resources` fit beside the running ones; a step bigger
than the whole machine runs alone rather than never."""

from __future__ import annotations

import math
import os

from mloop.pipeline.definition.spec import StepSpec


def machine_memory() -> int:
    """Bytes of physical memory (0 when the platform does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 0


class Slots:
    def __init__(self, cpu: int, memory: int) -> None:
        self.cpu, self.memory = cpu, memory
        self.used_cpu = self.used_memory = 0
        self.running = 0

    def need(self, spec: StepSpec) -> tuple[int, int]:
        """(cpu slots, bytes) the step takes, each capped at what there is."""
        cpu = min(self.cpu, max(1, math.ceil(spec.resources.get("cpu", 1))))
        memory = int(spec.resources.get("memory", 0)) if self.memory else 0
        return cpu, min(self.memory, memory)

    def take(self, need: tuple[int, int]) -> bool:
        """Reserve `need` if it fits beside what runs (or nothing runs); False when it must wait."""
        cpu, memory = need
        if self.running and (self.used_cpu + cpu > self.cpu or self.used_memory + memory > self.memory):
            return False
        self.used_cpu += cpu
        self.used_memory += memory
        self.running += 1
        return True

    def release(self, need: tuple[int, int]) -> None:
        self.used_cpu -= need[0]
        self.used_memory -= need[1]
        self.running -= 1
