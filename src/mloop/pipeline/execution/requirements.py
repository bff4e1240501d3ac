"""Step requirements (`requirements=["pandas>=2"]`) checked against where the step runs."""

from __future__ import annotations

from collections.abc import Iterable

from mloop.core.errors import ValidationError


def requirement_problems(requirements: Iterable[str]) -> list[str]:
    """One line per requirement the running environment does not satisfy."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import InvalidRequirement, Requirement

    problems = []
    for text in requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            problems.append(f"requirement {text!r} is not valid: {exc}")
            continue
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            problems.append(f"{requirement.name} is not installed (wanted {text}); install it: pip install '{text}'")
            continue
        if requirement.specifier and not requirement.specifier.contains(installed, prereleases=True):
            problems.append(f"{requirement.name} {installed} is installed but {text} is wanted; "
                            f"install it: pip install '{text}', or run the step with isolation='venv'")
    return problems


def check_requirements(steps: Iterable[tuple[str, Iterable[str]]]) -> None:
    """Raise for the first step whose requirements are not met here (a one-line message)."""
    for name, requirements in steps:
        problems = requirement_problems(requirements)
        if problems:
            raise ValidationError(f"step {name!r}: {problems[0]}")
