"""The feature store as a user runs it: apply, training sets (as known at the time, reproducible,
stored with a manifest that a registered model carries), materialization, online reads equal to
training values (no skew), TTL, on-demand features, freshness."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from feature_example import DAY, T0, definitions, write_stats

import mloop
from mloop.core.errors import ValidationError
from mloop.features.apply import apply_features
from mloop.features.materialize import materialize, materialize_incremental
from mloop.features.online import feature_freshness, get_online_features
from mloop.features.training import get_training_frame
from mloop.stores.workspace import get_workspace


@pytest.fixture
def project(workspace: Path, tmp_path: Path) -> dict[str, object]:
    defs = definitions(write_stats(tmp_path / "stats"))
    apply_features(defs.values())
    return defs


def labels(*rows: tuple[int, object, float]) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [r[0] for r in rows], "event_timestamp": [r[1] for r in rows],
                         "amount": [r[2] for r in rows], "is_fraud": [0] * len(rows)})


def test_training_values_are_the_latest_known_at_each_rows_time(project: dict[str, object]) -> None:
    rows = labels((1, T0 + 2 * DAY + timedelta(minutes=30), 10.0),  # day 2 happened, but loaded at 01:00
                  (1, T0 + 2 * DAY + timedelta(hours=2), 10.0),      # day 2 known by now
                  (999, T0 + 5 * DAY, 5.0),                          # an unknown customer
                  (2, T0 - DAY, 5.0))                                # before any data
    frame = get_training_frame(rows, "fraud_v1")
    source = pd.read_parquet(Path(project["stats"].source.path))  # type: ignore[attr-defined]
    day = {d: source[(source.customer_id == 1) & (source.event_time == T0 + d * DAY)].iloc[0] for d in (1, 2)}

    assert list(frame.columns) == ["customer_id", "event_timestamp", "amount", "is_fraud", "amount_7d", "tx_7d",
                                   "amount_ratio"]
    assert frame.loc[0, "amount_7d"] == day[1]["amount_7d"]  # not day 2: it was not known yet
    assert frame.loc[1, "amount_7d"] == day[2]["amount_7d"]
    assert frame.loc[1, "amount_ratio"] == pytest.approx(10.0 / day[2]["amount_7d"])
    assert frame[["amount_7d", "tx_7d"]].iloc[2:].isna().all().all()
    late = get_training_frame(rows, ["customer_stats:amount_7d"], known_at_time=False, store=False)
    assert late.loc[0, "amount_7d"] == day[2]["amount_7d"]  # ignoring when it was known leaks day 2


def test_a_training_set_is_reproducible_and_stored_with_its_manifest(project: dict[str, object]) -> None:
    rows = labels(*((c, T0 + 4 * DAY, 1.0) for c in range(20)))
    first = get_training_frame(rows, "fraud_v1")
    second = get_training_frame(rows, "fraud_v1")
    stored = first.attrs["mloop_training_set"]

    assert stored["artifact_id"] == second.attrs["mloop_training_set"]["artifact_id"]  # identical bytes
    manifest = stored["manifest"]
    assert manifest["views"]["customer_stats"]["version"] == 1 and manifest["service"] == "fraud_v1"
    assert manifest["features"] == ["customer_stats:amount_7d", "customer_stats:tx_7d", "amount_ratio:amount_ratio"]
    assert get_workspace().features.training_sets([stored["artifact_id"]]) == {stored["artifact_id"]: manifest}
    assert mloop.get_artifact(stored["artifact_id"]).load().equals(first)

    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(first[["amount_7d", "tx_7d"]], (first["tx_7d"] > 10).astype(int))
    version = mloop.register_model("fraud", model, training_data=first)
    assert version.lineage["features"]["training_set"] == stored["artifact_id"]
    assert version.lineage["features"]["views"]["customer_stats"]["version"] == 1
    view = definitions(Path(project["stats"].source.path))["stats"]  # type: ignore[attr-defined]
    without_tx = type(view)(view.name, entities=view.entities, source=view.source, ttl=view.ttl,
                            schema=[view.feature("amount_7d")])
    with pytest.raises(ValidationError, match=r"feature tx_7d is removed but model fraud/1 was trained on it"):
        apply_features([without_tx])


def test_as_of_rebuilds_a_training_set_before_late_data_arrived(project: dict[str, object], tmp_path: Path) -> None:
    rows = labels((3, T0 + 7 * DAY + timedelta(hours=12), 1.0))
    before = get_training_frame(rows, ["customer_stats:amount_7d"], store=False)
    late = pd.DataFrame({"customer_id": [3], "event_time": [T0 + 7 * DAY + timedelta(hours=5)],
                         "loaded_at": [T0 + 30 * DAY], "amount_7d": [12345.0], "tx_7d": [1]})
    late.to_parquet(tmp_path / "stats" / "part-late.parquet")

    after = get_training_frame(rows, ["customer_stats:amount_7d"], known_at_time=False, store=False)
    as_of = get_training_frame(rows, ["customer_stats:amount_7d"], known_at_time=False, as_of=T0 + 9 * DAY,
                               store=False)
    assert after.loc[0, "amount_7d"] == 12345.0
    assert as_of.loc[0, "amount_7d"] == before.loc[0, "amount_7d"] != 12345.0


def test_online_values_equal_training_values_at_the_same_time(project: dict[str, object]) -> None:
    end = T0 + 6 * DAY + timedelta(hours=2)
    done = materialize(None, end)
    assert done[0].rows == 50 and done[0].newest_event_time == T0 + 6 * DAY

    customers = list(range(50))
    training = get_training_frame(labels(*((c, end, 20.0) for c in customers)), "fraud_v1", store=False)
    online = get_online_features([{"customer_id": c, "amount": 20.0} for c in customers], "fraud_v1",
                                 now=end + timedelta(hours=1))
    for feature in ("amount_7d", "tx_7d", "amount_ratio"):
        assert online.values[feature] == training[feature].tolist()  # the same values: no skew
    assert set(online.statuses["amount_7d"]) == {"present"}
    assert online.event_times["amount_7d"][0] == T0 + 6 * DAY

    stale = get_online_features([{"customer_id": 1, "amount": 1.0}, {"customer_id": 999, "amount": 1.0}],
                                ["customer_stats:amount_7d"], now=end + 4 * DAY)
    assert stale.statuses["amount_7d"] == ["expired", "missing"] and stale.values["amount_7d"] == [None, None]


def test_incremental_materialization_and_freshness(project: dict[str, object]) -> None:
    first = materialize_incremental(T0 + 3 * DAY + timedelta(hours=2))
    second = materialize_incremental(T0 + 9 * DAY + timedelta(hours=2))
    again = materialize_incremental(T0 + 9 * DAY + timedelta(hours=2))

    assert (first[0].start, first[0].rows) == (None, 50)
    assert (second[0].start, second[0].rows) == (T0 + 3 * DAY + timedelta(hours=2), 50)
    assert again[0].rows == 0
    fresh = feature_freshness(now=T0 + 10 * DAY)
    assert fresh[0]["view"] == "customer_stats" and fresh[0]["rows"] == 50
    assert fresh[0]["newest_event_time"] == (T0 + 9 * DAY).isoformat()
    assert fresh[0]["age_seconds"] == DAY.total_seconds() and fresh[0]["stale"] is False
    assert feature_freshness(now=T0 + 20 * DAY)[0]["stale"] is True  # older than the 3-day TTL


def test_unapplied_or_unknown_features_are_clear_errors(project: dict[str, object]) -> None:
    rows = labels((1, T0 + 2 * DAY, 1.0))
    with pytest.raises(mloop.NotFoundError, match="no feature view 'customer_stat'"):
        get_training_frame(rows, ["customer_stat:amount_7d"])
    with pytest.raises(ValidationError, match="has no feature 'amount_30d'"):
        get_training_frame(rows, ["customer_stats:amount_30d"])
    with pytest.raises(ValidationError, match="lack customer_id"):
        get_online_features([{"id": 1}], ["customer_stats:amount_7d"])


def test_the_same_values_are_served_from_redis(project: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "stores"))
    from online_stores import redis_prefix_url

    end = T0 + 5 * DAY + timedelta(hours=2)
    with redis_prefix_url() as url:
        monkeypatch.setenv("MLOOP_ONLINE_URL", url)
        assert get_workspace().settings.online_url == url
        assert materialize(None, end)[0].rows == 50
        online = get_online_features({"customer_id": [4, 5], "amount": [1.0, 2.0]}, "fraud_v1", now=end)
        training = get_training_frame(labels((4, end, 1.0), (5, end, 2.0)), "fraud_v1", store=False)
        assert online.values["amount_7d"] == training["amount_7d"].tolist()
        assert online.values["amount_ratio"] == training["amount_ratio"].tolist()
        assert feature_freshness(now=end)[0]["rows"] == 50


def test_a_training_set_step_gives_the_model_its_manifest(project: dict[str, object]) -> None:
    from feature_example import pipeline_parts

    training = pipeline_parts()
    run = training.run()
    rerun = training.run()
    frame_artifact = run.output("training_set")
    version = mloop.register_model("fraud", run.output("fit"))

    assert frame_artifact.id == rerun.output("training_set").id  # rebuilt (never cached), the same bytes
    assert rerun.step("fit").status == "cached"
    features = version.lineage["features"]
    assert features["training_set"] == frame_artifact.id and features["service"] == "fraud_v1"
    assert features["views"]["customer_stats"]["version"] == 1


def test_a_model_trained_on_a_split_of_the_training_set_still_names_its_features(project: dict[str, object]) -> None:
    from feature_example import pipeline_parts

    run = pipeline_parts(split=True).run()
    version = mloop.register_model("fraud", run.output("fit"))

    features = version.lineage["features"]  # the training set is two steps up: fit <- halves <- training_set
    assert features["training_set"] == run.output("training_set").id and features["service"] == "fraud_v1"
