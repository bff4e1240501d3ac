"""Aliases and stages: atomic moves with who/when/why history, the champion gate, rollback, races."""

from __future__ import annotations

import getpass
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest
from registry_races import READY, race

import mloop
from mloop.registry import alias_history, remove_alias, set_stage
from mloop.registry.aliases import previous_target
from mloop.stores.metadata.registry_records import AliasChange
from mloop.stores.workspace import get_workspace


@pytest.fixture
def three(trained: mloop.Run) -> list[mloop.ModelVersion]:
    """Three versions of 'fraud', each blessed (recorded metrics, no rules but the minimum)."""
    versions = [mloop.register_model("fraud", trained.output("train"), metrics={"val_auc": 0.8 + i / 100})
                for i in range(3)]
    for version in versions:
        assert mloop.bless(version, mloop.Blessing(metric="val_auc", min=0.5)).passed
    return versions


def test_promote_moves_the_alias_and_records_who_when_why(three: list[mloop.ModelVersion]) -> None:
    first = mloop.promote("fraud/1", "champion", reason="initial")
    second = mloop.promote("fraud/2", "champion", reason="better auc")

    assert (first.from_version, first.to_version, second.from_version, second.to_version) == (None, 1, 1, 2)
    history = alias_history("fraud", "champion")
    assert [(c.from_version, c.to_version, c.action, c.reason) for c in history] == [
        (None, 1, "set", "initial"), (1, 2, "set", "better auc")]
    assert {c.changed_by for c in history} == {getpass.getuser()}
    assert history[0].changed_at <= history[1].changed_at
    assert mloop.get_model_version("fraud@champion").version == 2
    assert mloop.get_model_version("fraud/2").aliases == ["champion"]


def test_only_a_blessed_version_becomes_champion_unless_forced(trained: mloop.Run) -> None:
    version = mloop.register_model("fraud", trained.output("train"))
    with pytest.raises(mloop.ValidationError) as error:
        mloop.promote(version, "champion")
    assert str(error.value) == ("model 'fraud' version 1 is not blessed; bless it first with: mloop models bless "
                                "fraud 1, or override with: mloop models promote fraud 1 --alias champion --force "
                                "(recorded)")
    assert alias_history("fraud") == []

    failed = mloop.bless(version, mloop.Blessing(metric="val_auc", min=0.5))  # no val_auc recorded: fails
    assert not failed.passed and not version.blessed
    mloop.promote(version, "challenger")  # other aliases are not gated

    change = mloop.promote(version, "champion", force=True, reason="hotfix")
    assert change.forced and mloop.get_model_version("fraud@champion").version == 1
    assert [c.forced for c in alias_history("fraud", "champion")] == [True]


def test_a_later_failing_blessing_unblesses_the_version(three: list[mloop.ModelVersion]) -> None:
    mloop.bless("fraud/1", mloop.Blessing(metric="val_auc", min=0.99))
    with pytest.raises(mloop.ValidationError, match="is not blessed"):
        mloop.promote("fraud/1", "champion")


def test_rollback_walks_back_through_champions(three: list[mloop.ModelVersion]) -> None:
    for number in (1, 2, 3):
        mloop.promote(f"fraud/{number}", "champion")

    assert mloop.rollback("fraud").to_version == 2
    assert mloop.rollback("fraud", reason="still bad").to_version == 1
    assert mloop.get_model_version("fraud@champion").version == 1
    with pytest.raises(mloop.NotFoundError, match="has no earlier version to roll back to"):
        mloop.rollback("fraud")
    actions = [(c.action, c.from_version, c.to_version, c.reason) for c in alias_history("fraud", "champion")]
    assert actions[-2:] == [("rollback", 3, 2, "rollback"), ("rollback", 2, 1, "still bad")]

    mloop.promote("fraud/3", "champion")
    assert mloop.rollback("fraud").to_version == 1


def test_rollback_without_an_alias(three: list[mloop.ModelVersion]) -> None:
    with pytest.raises(mloop.NotFoundError, match="model 'fraud' has no alias 'champion'; set one with"):
        mloop.rollback("fraud")


def test_remove_alias_and_reserved_names(three: list[mloop.ModelVersion]) -> None:
    mloop.promote("fraud/1", "challenger")
    change = remove_alias("fraud", "challenger", reason="done")
    assert (change.action, change.from_version, change.to_version) == ("delete", 1, None)
    with pytest.raises(mloop.NotFoundError):
        mloop.get_model_version("fraud@challenger")
    with pytest.raises(mloop.ValidationError, match="'latest' always means the newest version"):
        mloop.promote("fraud/1", "latest")


def test_stage_transitions_are_recorded_and_production_is_gated(trained: mloop.Run) -> None:
    version = mloop.register_model("fraud", trained.output("train"), metrics={"val_auc": 0.9})
    set_stage(version, "staging", reason="shadow traffic")
    with pytest.raises(mloop.ValidationError, match="override with: mloop models stage fraud 1 production --force"):
        set_stage(version, "production")
    mloop.bless(version, mloop.Blessing(metric="val_auc", min=0.8))
    set_stage(version, "production", reason="go live")
    set_stage(version, "archived")
    with pytest.raises(mloop.ValidationError, match="unknown stage 'prod'; use one of: staging, production"):
        set_stage(version, "prod")

    assert mloop.get_model_version("fraud/1").stage == "archived"
    history = get_workspace().registry.stage_history("fraud", 1)
    assert [(c.from_stage, c.to_stage, c.reason) for c in history] == [
        (None, "staging", "shadow traffic"), ("staging", "production", "go live"), ("production", "archived", "")]


def test_compare_and_set_refuses_a_stale_expectation(three: list[mloop.ModelVersion]) -> None:
    mloop.promote("fraud/1", "champion", expect=0)
    mloop.promote("fraud/2", "champion", expect=1)
    with pytest.raises(mloop.ConflictError, match="points at version 2, not the expected version 1: it was moved"):
        mloop.promote("fraud/3", "champion", expect=1)
    assert mloop.get_model_version("fraud@champion").version == 2


def test_two_processes_moving_one_alias_leave_one_consistent_history(three: list[mloop.ModelVersion],
                                                                      tmp_path: Path) -> None:
    mloop.promote("fraud/1", "champion")
    script = textwrap.dedent("""
        import sys, mloop
        mloop.get_model_version("fraud@champion")
        target = 2 + int(sys.argv[1])
    """) + READY + textwrap.dedent("""
        for _ in range(10):
            print(mloop.promote(f"fraud/{target}", "champion").to_version)
    """)
    race(script, 2, tmp_path)

    history = alias_history("fraud", "champion")
    assert len(history) == 21
    assert {c.to_version for c in history[1:]} == {2, 3}  # both processes' moves are recorded
    for before, after in zip(history, history[1:], strict=False):
        assert after.from_version == before.to_version  # one chain: no move lost or based on a stale value
    assert mloop.get_model_version("fraud@champion").version == history[-1].to_version


def test_two_processes_compare_and_set_exactly_one_wins(three: list[mloop.ModelVersion], tmp_path: Path) -> None:
    mloop.promote("fraud/1", "champion")
    script = textwrap.dedent("""
        import sys, mloop
        mloop.get_model_version("fraud@champion")
        target = 2 + int(sys.argv[1])
    """) + READY + textwrap.dedent("""
        try:
            mloop.promote(f"fraud/{target}", "champion", expect=1)
            print("won", target)
        except mloop.ConflictError as error:
            print("lost", error)
    """)
    outputs = race(script, 2, tmp_path)

    assert sorted(out.split()[0] for out in outputs) == ["lost", "won"]
    winner = next(int(out.split()[1]) for out in outputs if out.startswith("won"))
    assert mloop.get_model_version("fraud@champion").version == winner
    assert [(c.from_version, c.to_version) for c in alias_history("fraud", "champion")] == [(None, 1), (1, winner)]


def change(action: str, to_version: int | None) -> AliasChange:
    return AliasChange(id=0, model="fraud", alias="champion", from_version=None, to_version=to_version, action=action,
                       forced=False, reason="", changed_by="ana", changed_at=datetime(2026, 1, 1, tzinfo=timezone.utc))


def test_rollback_target_is_policy_read_from_the_history() -> None:
    assert previous_target([]) is None
    assert previous_target([change("set", 1)]) is None
    assert previous_target([change("set", 1), change("set", 2), change("set", 2)]) == 1  # a repeat is no move
    assert previous_target([change("set", 1), change("set", 2), change("set", 3), change("rollback", 2)]) == 1
    assert previous_target([change("set", 1), change("delete", None), change("set", 2)]) is None
