"""Model references as users type them: `fraud/3`, `fraud@champion`, `fraud@latest`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mloop.core.errors import ValidationError

LATEST = "latest"
_NAME = re.compile(r"^[A-Za-z0-9][\w.-]{0,199}$")
_ALIAS = re.compile(r"^[A-Za-z][\w-]{0,99}$")


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        return f"{self.name}/{self.version}" if self.version is not None else f"{self.name}@{self.alias}"


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(f"model name {name!r} is not valid; use letters, digits, '_', '.' and '-' "
                              "(starting with a letter or digit), e.g. 'fraud'")
    return name


def check_alias(alias: str) -> str:
    if not isinstance(alias, str) or not _ALIAS.match(alias):
        raise ValidationError(f"alias {alias!r} is not valid; use a word starting with a letter, e.g. 'champion'")
    if alias == LATEST:
        raise ValidationError("'latest' always means the newest version; choose another alias name")
    return alias


def parse_ref(text: str, version: int | str | None = None) -> ModelRef:
    """'fraud/3', 'fraud@champion', 'fraud@latest'; or a name with `version` (a number or alias)."""
    if version is not None:
        return parse_ref(f"{text}/{version}" if str(version).isdigit() else f"{text}@{version}")
    if "@" in text:
        name, _, alias = text.partition("@")
        if alias != LATEST:
            check_alias(alias)
        return ModelRef(check_name(name), alias=alias)
    name, slash, number = text.rpartition("/")
    if slash and number.isdigit() and int(number) > 0:
        return ModelRef(check_name(name), version=int(number))
    raise ValidationError(f"{text!r} is not a model version; write NAME/VERSION or NAME@ALIAS, e.g. fraud/3, "
                          "fraud@champion or fraud@latest")
