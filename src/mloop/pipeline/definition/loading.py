"""Finding a pipeline from what a user types: `file.yaml`, `file.py:name`, `package.module:name`."""

from __future__ import annotations

from pathlib import Path

from mloop.core.errors import MloopError, NotFoundError, ValidationError
from mloop.core.imports import load_file, resolve, user_code_error
from mloop.pipeline.definition.pipelines import LOADING_FILE, PipelineDefinition


def load_pipeline(target: str) -> PipelineDefinition:
    if target.endswith((".yaml", ".yml")):
        from mloop.pipeline.definition.yaml_loader import load_yaml_pipeline

        return load_yaml_pipeline(target)
    path, _, attribute = target.partition(":") if ".py" in target else ("", "", "")
    if path.endswith(".py") or target.endswith(".py"):
        file = Path(path or target)
        loading = LOADING_FILE.set(str(file.resolve()))
        try:
            module = load_file(file)
        finally:
            LOADING_FILE.reset(loading)
        if attribute:
            found = getattr(module, attribute, None)
            if found is None:
                raise NotFoundError(f"{file} has no {attribute!r}")
            return _check(found, target)
        candidates = [v for v in vars(module).values() if isinstance(v, PipelineDefinition)]
        if len(candidates) != 1:
            names = ", ".join(p.name for p in candidates) or "none"
            raise ValidationError(f"{file} defines {len(candidates)} pipelines ({names}); name one: {file}:NAME")
        return candidates[0]
    if ":" not in target:
        raise ValidationError(f"cannot tell what {target!r} is; give pipeline.yaml, file.py[:name] or package.module:name")
    try:
        found = resolve(target)
    except MloopError:
        raise
    except Exception as exc:  # the user's module failed to import: one line, traceback with --debug
        raise user_code_error(exc, "") from exc
    return _check(found, target)


def _check(found: object, target: str) -> PipelineDefinition:
    if not isinstance(found, PipelineDefinition):
        raise ValidationError(f"{target} is a {type(found).__name__}, not a @pipeline")
    return found
