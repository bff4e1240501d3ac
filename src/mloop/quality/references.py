"""What drift compares with: data, a saved profile, or "the training data of a model version"
(its stored profile, so the training data is never read again)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mloop.core.errors import NotFoundError, ValidationError
from mloop.quality.training import stored_training_profile
from mloop.registry.versions import get_model_version
from mloop.stores.workspace import Workspace, get_workspace


def training_profile(model: str, workspace: Workspace | None = None) -> Any:
    """The profile of the training data of a model version ('fraud@champion', 'fraud/3'), stored
    when it was registered (or profiled now, once, if it was registered without one)."""
    version = get_model_version(model, workspace=workspace)
    found = stored_training_profile(version._workspace, version.name, version.version, version.lineage)
    if found is None:
        raise NotFoundError(f"{version.ref} has no known training data to profile; register it with "
                            "training_data=... or from the pipeline step that trained it")
    return found


def drift_reference(reference: Any, workspace: Workspace | None = None) -> Any:
    """`reference` as drift takes it: a Profile or table as is; a path to data as is; a `.json`
    file written by `mloop data profile --json` as its Profile; a model version reference
    ('fraud@champion', 'fraud/3') as the profile of its training data."""
    if not isinstance(reference, (str, Path)):
        return reference
    text = str(reference)
    path = Path(text)
    if path.exists():
        if path.suffix == ".json" and path.is_file():
            from mloop.quality.profile import Profile

            try:
                return Profile.from_dict(json.loads(path.read_text()))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValidationError(f"{text} is not a profile written by mloop data profile --json ({exc})") from None
        return text
    if "@" in text or ("/" in text and text.rpartition("/")[2].isdigit() and not text.startswith((".", "/"))):
        return training_profile(text, workspace or get_workspace())
    raise ValidationError(f"{text} is neither a file nor a model version; give a Parquet file, a folder, a profile "
                          ".json or a model such as fraud@champion")
