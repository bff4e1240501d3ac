"""Protected aliases: who may move which alias of which model. A rule is "admin" (admins only),
"blessed" (admins, or anyone who may write when the version's newest blessing report passed: the
loop promoting what it blessed) or "open". `champion` of every model is "blessed" unless a rule
says otherwise; the most specific rule wins (an exact model name over a glob, a longer glob over a
shorter one). Roles are the access roles of a team server (mloop.access)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import datetime

from mloop.core.clock import utcnow
from mloop.core.errors import ValidationError
from mloop.stores.metadata.access import AliasRuleRecord
from mloop.stores.workspace import Workspace, get_workspace

RULES = ("admin", "blessed", "open")
DEFAULT_RULES = (("*", "champion", "blessed"),)


@dataclass(frozen=True)
class AliasRule:
    model: str
    alias: str
    rule: str
    updated_at: datetime | None = None
    updated_by: str = ""

    @property
    def default(self) -> bool:
        return self.updated_at is None


def protect_alias(model: str, alias: str, rule: str = "admin", *, by: str = "local", by_role: str = "admin",
                  workspace: Workspace | None = None) -> AliasRule:
    """Set who may move `alias` of `model` (a name or a glob such as "fraud-*" or "*"): rule "admin",
    "blessed" or "open" (no protection). Replaces the rule of the same model and alias."""
    from mloop.access.audit import record_audit

    if rule not in RULES:
        raise ValidationError(f"unknown alias rule {rule!r}; use one of: {', '.join(RULES)}")
    if not model or not alias or len(model) > 200 or len(alias) > 200:
        raise ValidationError("an alias rule needs a model (a name or a glob like '*') and an alias, "
                              "e.g. mloop aliases protect '*' champion --rule admin")
    workspace = workspace or get_workspace()
    workspace.check_writable()
    record = AliasRuleRecord(model=model, alias=alias, rule=rule, updated_at=utcnow(), updated_by=by)
    workspace.access.set_alias_rule(record)
    record_audit(by, by_role, "aliases.protect", f"models/{model}/{alias}", {"rule": rule}, workspace=workspace)
    return AliasRule(model, alias, rule, record.updated_at, by)


def alias_rules(*, workspace: Workspace | None = None) -> list[AliasRule]:
    """Every rule in force: those set with protect_alias and the defaults they do not replace."""
    stored = [AliasRule(r.model, r.alias, r.rule, r.updated_at, r.updated_by)
              for r in (workspace or get_workspace()).access.alias_rules()]
    keys = {(r.model, r.alias) for r in stored}
    defaults = [AliasRule(m, a, r) for m, a, r in DEFAULT_RULES if (m, a) not in keys]
    return sorted(stored + defaults, key=lambda r: (r.model, r.alias))


def rule_for(model: str, alias: str, rules: list[AliasRule]) -> str:
    """The rule that decides who moves `alias` of `model`: the most specific match, else "open"."""
    matching = [r for r in rules if r.alias == alias and fnmatch.fnmatchcase(model, r.model)]
    if not matching:
        return "open"
    return max(matching, key=lambda r: (r.model == model, len(r.model.replace("*", "")), len(r.model))).rule


def alias_move_refusal(role: str, model: str, alias: str, version: int | None, *,
                       workspace: Workspace | None = None) -> str | None:
    """Why a caller with `role` may not point `alias` of `model` at `version` (None: remove it), as a
    one-line message with the way out; None when the move is allowed."""
    if role == "admin":
        return None
    workspace = workspace or get_workspace()
    rule = rule_for(model, alias, alias_rules(workspace=workspace))
    if rule == "open":
        return None
    ask = "ask an admin, or change the rule with: mloop aliases protect"
    if rule == "admin":
        return f"alias {alias!r} of model {model!r} is protected: only admins may move it; {ask}"
    if version is None:
        return f"alias {alias!r} of model {model!r} is protected: only admins may remove it; {ask}"
    reports = workspace.registry.blessing_reports(model, version)
    if not reports or not reports[-1].passed:
        state = "has no blessing report" if not reports else "has no passing blessing report (its newest failed)"
        return (f"alias {alias!r} of model {model!r} is protected: version {version} {state}; bless it first "
                f"with: mloop models bless {model} {version}, or {ask}")
    return None
