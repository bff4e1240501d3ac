"""`mloop features` as a user types it: apply (diff, breaking refusal, exit codes), list/show with
--json, a training set written to a file, materialize, an online read, freshness."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import Result
from typer.testing import CliRunner

from mloop.cli.main import app

FEATURES = Path(__file__).parents[1] / "features"


def mloop_cmd(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def project(sqlite_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sys.path.insert(0, str(FEATURES))
    from feature_example import DAY, T0, write_stats

    write_stats(tmp_path / "stats")
    (tmp_path / "defs.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(FEATURES)!r})\n"
        "from pathlib import Path\n"
        "from feature_example import definitions\n"
        f"globals().update(definitions(Path({str(tmp_path / 'stats')!r})))\n")
    labels = pd.DataFrame({"customer_id": [1, 2, 3], "event_timestamp": [T0 + 5 * DAY + timedelta(hours=2)] * 3,
                           "amount": [10.0, 20.0, 30.0], "is_fraud": [0, 1, 0]})
    labels.to_parquet(tmp_path / "labels.parquet")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_apply_list_show_and_a_refused_breaking_change(project: Path) -> None:
    first = mloop_cmd("features", "apply", "defs.py")
    again = mloop_cmd("features", "apply", "defs.py", "--json")
    listed = json.loads(mloop_cmd("features", "list", "--json").stdout)

    assert first.exit_code == 0 and "new       view      customer_stats v1" in first.stdout
    assert json.loads(again.stdout)["summary"] == "applied 4 definition(s): 0 new, 0 changed, 4 unchanged"
    assert sorted((d["kind"], d["name"], d["version"]) for d in listed) == [
        ("entity", "customer", 1), ("on_demand", "amount_ratio", 1), ("service", "fraud_v1", 1),
        ("view", "customer_stats", 1)]
    (project / "defs.py").write_text((project / "defs.py").read_text() + (
        "from mloop.features import Feature, FeatureView, Int64\n"
        "stats = FeatureView(stats.name, entities=stats.entities, source=stats.source, ttl=stats.ttl,\n"
        "                    schema=[Feature('amount_7d', Int64), Feature('tx_7d', Int64)])\n"))
    refused = subprocess.run([sys.executable, "-m", "mloop.cli.main", "features", "apply", "defs.py"],
                             capture_output=True, text=True, cwd=project)
    assert refused.returncode == 2 and refused.stderr.startswith("error: refused breaking change(s): view "
                                                                 "customer_stats: feature amount_7d changes type")
    forced = mloop_cmd("features", "apply", "defs.py", "--force")
    assert forced.exit_code == 0 and "~ feature amount_7d: Float64 → Int64" in forced.stdout
    history = json.loads(mloop_cmd("features", "show", "customer_stats", "--json").stdout)
    assert [h["version"] for h in history] == [1, 2]


def test_training_set_materialize_get_and_freshness(project: Path) -> None:
    assert mloop_cmd("features", "apply", "defs.py").exit_code == 0
    built = mloop_cmd("features", "training-set", "labels.parquet", "-f", "fraud_v1", "-o", "train.parquet", "--json")
    frame = pd.read_parquet(project / "train.parquet")
    done = json.loads(mloop_cmd("features", "materialize", "--start", "2026-10-01T00:00:00Z", "--end",
                                "2026-11-06T02:00:00+00:00", "--json").stdout)
    online = json.loads(mloop_cmd("features", "get", "-e", "customer_id=2", "-e", "amount=20", "-f", "fraud_v1",
                                  "--now", "2026-11-06T03:00:00Z", "--json").stdout)
    later = json.loads(mloop_cmd("features", "get", "-e", "customer_id=2", "-f", "customer_stats:amount_7d",
                                 "--json").stdout)
    fresh = mloop_cmd("features", "freshness", "--json", "--fail-on-stale")

    assert built.exit_code == 0 and json.loads(built.stdout)["rows"] == 3
    assert list(frame.columns)[-3:] == ["amount_7d", "tx_7d", "amount_ratio"]
    assert done[0]["rows"] == 50 and done[0]["newest_event_time"] == "2026-11-06T00:00:00+00:00"
    assert online["values"]["amount_7d"] == [frame.loc[1, "amount_7d"]]  # the value training saw at day 5
    assert online["values"]["amount_ratio"] == [pytest.approx(frame.loc[1, "amount_ratio"])]
    assert later["statuses"]["amount_7d"] == ["expired"] and later["values"]["amount_7d"] == [None]  # past the TTL
    assert fresh.exit_code == 1 and json.loads(fresh.stdout)[0]["stale"] is True


def test_bad_input_is_one_line(project: Path) -> None:
    missing = mloop_cmd("features", "apply", "nope.py")
    unknown = mloop_cmd("features", "training-set", "labels.parquet", "-f", "nope:x", "-o", "t.parquet")
    bad_entity = mloop_cmd("features", "get", "-e", "customer_id", "-f", "fraud_v1")
    shutil.copy(project / "labels.parquet", project / "copy.parquet")

    assert missing.exit_code == 2 and "nope.py does not exist" in missing.output
    assert unknown.exit_code == 2 and "no feature view 'nope'" in unknown.output
    assert bad_entity.exit_code == 2 and "is not KEY=VALUE" in bad_entity.output
