"""Peer tools for the benchmarks, each in its own venv under ~/.cache/mloop-bench/<tool>.

The peers are never mloop dependencies. A venv is built once (a stamp file records the pinned
packages it was built with) and reused; if it cannot be built, `peer_python` prints a note and
returns None so the benchmark can show '—' for that peer instead of failing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CACHE = Path(os.environ.get("MLOOP_BENCH_CACHE", Path.home() / ".cache" / "mloop-bench"))

# Pins, see shared/PEERS.md. Prefect's temporary server breaks with the newest FastAPI
# (`Body() got an unexpected keyword argument 'min_items'`), hence the fastapi pin.
PACKAGES: dict[str, list[str]] = {
    "prefect": ["prefect==3.*", "fastapi==0.139.2", "pandas", "pyarrow"],
    # MLflow with its SQLite tracking/registry backend; skops for its safe sklearn format (shared/PEERS.md)
    "mlflow": ["mlflow==3.*", "scikit-learn", "skops", "pandas", "pyarrow"],
    # data quality peers (shared/PEERS.md): Evidently fails to import with pandas 3
    "pandera": ["pandera[pandas]==0.*", "pandas", "pyarrow"],
    "great_expectations": ["great_expectations==1.*", "pandas", "pyarrow"],
    "evidently": ["evidently==0.7.*", "pandas<3", "pyarrow", "scipy"],
    # feature store peer (shared/PEERS.md): the duckdb offline store (through ibis) keeps entity rows
    # without an earlier feature row, as a left join should; the default file store drops them
    "feast": ["feast==0.*", "duckdb", "ibis-framework[duckdb]", "pandas", "pyarrow"],
    # label-free performance estimation peer (CBPE)
    "nannyml": ["nannyml==0.*", "statsmodels", "pyarrow"],  # its plots import statsmodels, not a dependency
}


def peer_python(tool: str, packages: list[str] | None = None) -> str | None:
    """The python of the peer venv for `tool`, built on first use; None (with a note) if it can't be."""
    packages = packages or PACKAGES[tool]
    venv = CACHE / tool
    python = venv / "bin" / "python"
    stamp = venv / ".mloop-bench-stamp"
    wanted = "\n".join(packages)
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return str(python)
    print(f"[peers] building the {tool} venv in {venv} (once) ...", file=sys.stderr, flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, capture_output=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages],
                       check=True, capture_output=True, text=True, timeout=1200)
    except (OSError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", "") or ""
        print(f"[peers] note: could not install {tool} ({' '.join(packages)}): {error}\n{detail[-1500:]}",
              file=sys.stderr)
        return None
    stamp.write_text(wanted)
    return str(python)


def prefect_env(home: str | Path) -> dict[str, str]:
    """Environment for a local, offline Prefect: ephemeral server, SQLite and results under `home`."""
    home = Path(home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_API_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "true",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOCAL_STORAGE_PATH": str(home / "storage"),
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_LOGGING_TO_API_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    })
    return env


if __name__ == "__main__":  # python benchmarks/peers.py [tool ...]: build the venvs now
    for name in sys.argv[1:] or list(PACKAGES):
        print(name, peer_python(name))
