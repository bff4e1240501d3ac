"""Steps in their own virtual environments (`isolation="venv"`), built by uv from the step's
requirements and cached by their hash, shared by runs, steps and workers using the same
cache folder (`MLOOP_ENVS_DIR`, default ~/.cache/mloop/envs).

An environment layers the step's requirements over the environment that runs mloop: its own
site-packages come first, the parent's (with mloop, pyarrow ...) after, through a .pth file.
The step then runs in a subprocess of that environment's python and exchanges its task and
result as files; inputs and outputs still travel through the artifact store.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import pickle
import shutil
import site
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mloop.core.errors import BackendError, StepTimeoutError, ValidationError
from mloop.core.hashing import hash_json

ENV_VERSION = "1"


def environment_hash(requirements: list[str]) -> str:
    """What identifies an isolated environment; it enters the step's cache key."""
    return hash_json({"v": ENV_VERSION, "python": sys.version_info[:2], "requirements": sorted(requirements),
                      "find_links": os.environ.get("UV_FIND_LINKS", ""), "index": os.environ.get("UV_INDEX_URL", "")})


def envs_dir() -> Path:
    return Path(os.environ.get("MLOOP_ENVS_DIR") or Path.home() / ".cache" / "mloop" / "envs")


def ensure_environment(requirements: list[str]) -> Path:
    """The python of the environment for `requirements`, built once (under a file lock)."""
    env_hash = environment_hash(requirements)
    root = envs_dir()
    final = root / env_hash[:16]
    python = final / "bin" / "python"
    if python.exists():
        return python
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f".{env_hash[:16]}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another step, run or worker may be building it
        if python.exists():
            return python
        building = Path(tempfile.mkdtemp(prefix=f".{env_hash[:16]}-", dir=root))
        try:
            _build(building, requirements)
            os.rename(building, final)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    return python


def _build(folder: Path, requirements: list[str]) -> None:
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(uv).exists():
        raise ValidationError("isolation='venv' needs uv; install it with: pip install 'mloop[isolation]'")
    _run([uv, "venv", "--quiet", "--python", sys.executable, str(folder)], "create the environment")
    if requirements:
        _run([uv, "pip", "install", "--quiet", "--python", str(folder / "bin" / "python"), *requirements],
             f"install {' '.join(requirements)}")
    # Layer over the parent environment: its packages (mloop itself, pyarrow, ...) come after ours.
    # addsitedir, not bare paths: the parent's own .pth files must run too, or editable installs
    # (`pip install -e .` of mloop or of the user's project) are not importable in here.
    site_packages = next((folder / "lib").glob("python*/site-packages"))
    parents = [p for p in site.getsitepackages() + [site.getusersitepackages()] if os.path.isdir(p)]
    (site_packages / "_mloop_parent.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in parents) + "\n")


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackendError(f"could not {what} with uv: {detail[-1] if detail else done.returncode}")


def run_isolated(task: Any, requirements: list[str]) -> Any:
    """Run `task` (a StepTask) in the environment for `requirements`; returns its TaskResult."""
    python = ensure_environment(requirements)
    with tempfile.TemporaryDirectory(prefix="mloop-task-") as folder:
        task_file, result_file = Path(folder) / "task.pkl", Path(folder) / "result.pkl"
        task_file.write_bytes(pickle.dumps(task))
        paths = [os.getcwd(), *_code_folders(task.uses, task.source_file)]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths + [os.environ.get("PYTHONPATH", "")]))
        started = time.time()
        try:
            done = subprocess.run([str(python), "-m", "mloop.pipeline.execution.isolation", str(task_file), str(result_file)],
                                  env=env, capture_output=True, text=True, timeout=task.timeout, check=False)
        except subprocess.TimeoutExpired:
            raise StepTimeoutError(f"step {task.node!r} timed out after {task.timeout:g} s", step=task.node) from None
        if done.returncode != 0 or not result_file.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise BackendError(f"isolated step {task.node!r} exited with {done.returncode} after "
                               f"{time.time() - started:.1f} s: {' | '.join(tail)}")
        return pickle.loads(result_file.read_bytes())


def _code_folders(uses: str, source_file: str | None) -> list[str]:
    """Where this process imports the step's module from (a script's folder, or the folder above
    its top-level package), so the isolated python finds it too; site-packages stay out, as the
    environment reaches those through its .pth file, after its own packages."""
    if source_file:
        return [os.path.dirname(os.path.abspath(source_file))]
    module = uses.partition(":")[0]
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.has_location or not spec.origin:
        return []
    root = Path(spec.origin).parent
    for _ in range(module.count(".") + (spec.submodule_search_locations is not None)):
        root = root.parent
    site_folders = {os.path.realpath(p) for p in site.getsitepackages() + [site.getusersitepackages()]}
    return [] if os.path.realpath(root) in site_folders else [str(root)]


def _main(task_file: str, result_file: str) -> None:
    from mloop.pipeline.execution.task import execute_task

    task = pickle.loads(Path(task_file).read_bytes())
    task.isolation = "none"  # this process is the isolated environment
    result = execute_task(task)
    result.environment = _describe_environment()
    Path(result_file).write_bytes(pickle.dumps(result))


def _describe_environment() -> dict[str, Any]:
    from importlib.metadata import distributions

    packages = {d.metadata["Name"].lower(): d.version for d in distributions(path=[p for p in sys.path if "site-packages" in p][:1])
                if d.metadata["Name"]}
    return {"isolation": "venv", "python": sys.executable, "packages": dict(sorted(packages.items()))}


if __name__ == "__main__":
    _main(sys.argv[1], sys.argv[2])
