"""`apply`: definitions become versions; a change is a new version with its diff; breaking
changes and bad references are refused before anything is written."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from mloop.core.errors import ValidationError
from mloop.features.apply import apply_features
from mloop.features.definitions import (
    Entity,
    Feature,
    FeatureService,
    FeatureView,
    Float64,
    Int64,
    ParquetSource,
)
from mloop.stores.workspace import get_workspace

customer = Entity("customer", join_keys=["customer_id"])
SOURCE = ParquetSource("data/stats.parquet", timestamp_field="event_time", created_timestamp_field="loaded_at")


def stats(*features: Feature, ttl: timedelta = timedelta(days=7)) -> FeatureView:
    return FeatureView("customer_stats", entities=[customer], source=SOURCE, ttl=ttl,
                       schema=list(features) or [Feature("amount_7d", Float64), Feature("tx_7d", Int64)])


def test_first_apply_creates_versions_and_a_second_changes_nothing(workspace: Path) -> None:
    service = FeatureService("fraud", features=["customer_stats"])
    first = apply_features([stats(), service])
    again = apply_features([stats(), service])

    assert [(c.kind, c.name, c.status, c.version) for c in first.changes] == [
        ("entity", "customer", "new", 1), ("view", "customer_stats", "new", 1), ("service", "fraud", "new", 1)]
    assert [c.status for c in again.changes] == ["unchanged"] * 3
    assert again.summary() == "applied 3 definition(s): 0 new, 0 changed, 3 unchanged"


def test_a_change_is_a_new_version_with_its_diff(workspace: Path) -> None:
    apply_features([stats()])
    report = apply_features([stats(Feature("amount_7d", Float64), Feature("tx_7d", Int64), Feature("max_7d", Float64),
                                   ttl=timedelta(days=3))])

    change = next(c for c in report.changes if c.kind == "view")
    assert (change.status, change.previous_version, change.version) == ("changed", 1, 2)
    assert change.diff == ["+ feature max_7d (Float64)", "~ ttl_seconds: 604800.0 → 259200.0"]
    history = get_workspace().features.definition_history("view", "customer_stats")
    assert [h.version for h in history] == [1, 2] and history[0].spec["ttl_seconds"] == 604800.0


def test_a_type_change_is_refused_unless_forced_and_nothing_is_written(workspace: Path) -> None:
    apply_features([stats()])
    changed = stats(Feature("amount_7d", Int64), Feature("tx_7d", Int64))

    with pytest.raises(ValidationError, match=r"view customer_stats: feature amount_7d changes type Float64 → Int64"):
        apply_features([changed])
    assert get_workspace().features.definition("view", "customer_stats").version == 1
    preview = apply_features([changed], dry_run=True)
    assert not preview.applied and preview.changes[1].breaking
    assert apply_features([changed], force=True).changes[1].version == 2


def test_unknown_references_are_one_error_naming_them(workspace: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        apply_features([stats(), FeatureService("fraud", features=["customer_stat", "customer_stats:amount_30d"])])
    assert "unknown feature view 'customer_stat' (did you mean 'customer_stats'?)" in str(caught.value)
    assert "feature view 'customer_stats' has no feature 'amount_30d' (it has amount_7d, tx_7d)" in str(caught.value)
    assert get_workspace().features.latest_definitions() == []


def test_apply_a_definitions_file(workspace: Path, tmp_path: Path) -> None:
    defs = tmp_path / "defs.py"
    defs.write_text(textwrap.dedent("""
        from datetime import timedelta
        from mloop.features.definitions import Entity, Feature, FeatureView, Float64, ParquetSource

        card = Entity("card", join_keys=["card_id"])
        card_stats = FeatureView("card_stats", entities=[card], ttl=timedelta(hours=1),
                                 source=ParquetSource("cards.parquet", timestamp_field="ts"),
                                 schema=[Feature("spend_1h", Float64)])
    """))
    report = apply_features(defs)
    assert [(c.kind, c.name) for c in report.changes] == [("entity", "card"), ("view", "card_stats")]
    with pytest.raises(ValidationError, match="does not exist"):
        apply_features(tmp_path / "nope.py")
    (tmp_path / "empty.py").write_text("x = 1\n")
    with pytest.raises(ValidationError, match="defines no Entity, FeatureView"):
        apply_features(tmp_path / "empty.py")


def test_definitions_check_their_fields() -> None:
    with pytest.raises(ValidationError, match="feature view name 'bad name'"):
        FeatureView("bad name", entities=[customer], source=SOURCE, schema=[Feature("x")])
    with pytest.raises(ValidationError, match="lists x twice"):
        FeatureView("v", entities=[customer], source=SOURCE, schema=[Feature("x"), Feature("x")])
    with pytest.raises(ValidationError, match="unknown feature type 'Float'"):
        Feature("x", "Float")
    with pytest.raises(ValidationError, match="ttl must be a positive timedelta"):
        FeatureView("v", entities=[customer], source=SOURCE, schema=[Feature("x")], ttl=timedelta(0))
