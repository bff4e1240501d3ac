"""Registry policy over the RegistryStore's plain data operations: which versions may take a
protected alias or stage, and where a rollback goes. Each policy reads, then writes in one store
transaction; where the read decides the write (a rollback), the write is compare-and-set on the
alias, so a concurrent move makes it fail rather than act on a stale reading."""

from __future__ import annotations

from collections.abc import Sequence

from mloop.core.errors import NotFoundError, ValidationError
from mloop.stores.metadata import RegistryStore
from mloop.stores.metadata.registry_records import STAGES, AliasChange, StageChange

#: aliases and stages only a blessed version may take (unless forced, which is recorded)
PROTECTED_ALIASES = ("champion",)
PROTECTED_STAGES = ("production",)


def is_blessed(registry: RegistryStore, model: str, version: int) -> bool:
    """The newest blessing report of the version decides: passed, or blessed by force."""
    reports = registry.blessing_reports(model, version)
    return bool(reports and (reports[-1].passed or reports[-1].forced))


def move_alias(registry: RegistryStore, model: str, alias: str, version: int | None, *, changed_by: str,
               reason: str = "", forced: bool = False, expect: int | None = None) -> AliasChange:
    """Point `alias` at `version` (None removes it); a protected alias takes only a blessed
    version unless `forced`. `expect` is the caller's compare-and-set (0: the alias must not exist)."""
    if version is not None and alias in PROTECTED_ALIASES and not forced:
        registry.get_model_version(model, version)  # an unknown version is the clearer error
        if not is_blessed(registry, model, version):
            raise ValidationError(_not_blessed(model, version, f"promote {model} {version} --alias {alias}"))
    return registry.move_alias(model, alias, version, changed_by=changed_by, reason=reason, forced=forced,
                               expect=expect)


def set_stage(registry: RegistryStore, model: str, version: int, stage: str | None, *, changed_by: str,
              reason: str = "", forced: bool = False) -> StageChange:
    """Move a version to `stage`; a protected stage takes only a blessed version unless `forced`."""
    if stage is not None and stage not in STAGES:
        raise ValidationError(f"unknown stage {stage!r}; use one of: {', '.join(STAGES)}, or none to clear it")
    if stage in PROTECTED_STAGES and not forced:
        registry.get_model_version(model, version)
        if not is_blessed(registry, model, version):
            raise ValidationError(_not_blessed(model, version, f"stage {model} {version} {stage}"))
    return registry.set_stage(model, version, stage, changed_by=changed_by, reason=reason, forced=forced)


def rollback(registry: RegistryStore, model: str, alias: str, *, changed_by: str, reason: str = "") -> AliasChange:
    """Move `alias` back to the version it pointed at before its current one: each rollback undoes
    one earlier move, so repeated rollbacks walk further back."""
    current = registry.model_aliases(model).get(model, {}).get(alias)
    if current is None:
        registry.get_model(model)  # an unknown model is the clearer error
        raise NotFoundError(f"model {model!r} has no alias {alias!r}; set one with: "
                            f"mloop models promote {model} VERSION --alias {alias}")
    target = previous_target(registry.alias_history(model, alias))
    if target is None:
        raise NotFoundError(f"alias {alias!r} of model {model!r} has no earlier version to roll back to "
                            f"(history: mloop models show {model})")
    return registry.move_alias(model, alias, target, changed_by=changed_by, reason=reason, expect=current,
                               action="rollback")


def previous_target(history: Sequence[AliasChange]) -> int | None:
    """The version a rollback goes to, from an alias's history (oldest first): the targets form a
    stack that a set pushes (unless it repeats the top), a rollback pops and a delete clears."""
    stack: list[int] = []
    for change in history:
        if change.action == "rollback":
            del stack[-1:]
        elif change.action == "delete" or change.to_version is None:
            stack.clear()
        elif not stack or stack[-1] != change.to_version:
            stack.append(change.to_version)
    return stack[-2] if len(stack) >= 2 else None


def _not_blessed(model: str, version: int, command: str) -> str:
    return (f"model {model!r} version {version} is not blessed; bless it first with: mloop models bless {model} "
            f"{version}, or override with: mloop models {command} --force (recorded)")
