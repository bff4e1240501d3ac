"""`mloop status`: what runs, what is due, open alerts and the loop's last decisions, as a user reads them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

import mloop
from mloop.cli.main import app


def test_status_shows_schedules_open_alerts_and_the_last_decisions(workspace: Path) -> None:
    from sklearn.dummy import DummyClassifier

    frame = __import__("pandas").DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": [0, 1, 0, 1]})
    first = mloop.register_model("fraud", DummyClassifier().fit(frame[["x"]], frame["y"]), training_data=frame, target="y")
    second = mloop.register_model("fraud", DummyClassifier().fit(frame[["x"]], frame["y"]), training_data=frame,
                                  target="y")
    mloop.promote(first, force=True, reason="first champion")
    mloop.promote(second, force=True, reason="by hand")
    mloop.rollback("fraud", reason="worse on live traffic")
    mloop.apply_monitors([mloop.Monitor("fraud-volume", "volume", model="fraud", schedule="@every 5m",
                                        options={"min": 1})])
    alert = mloop.raise_alert("fraud-volume", "no predictions in the last hour", severity="critical")

    found = mloop.status()
    assert [a.id for a in found.alerts] == [alert.id]
    assert [s.name for s in found.schedules] == ["monitor:fraud-volume"]
    assert [(d.action, d.version) for d in found.decisions][:3] == [
        ("rolled back (champion)", 1), ("promoted (champion)", 2), ("promoted (champion)", 1)]

    result = CliRunner().invoke(app, ["status"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "no scheduler is running" in result.output  # a schedule waits for `mloop scheduler`
    assert "monitor:fraud-volume" in result.output and alert.id in result.output
    assert "worse on live traffic" in result.output and "2 → 1" in result.output
    document = json.loads(CliRunner().invoke(app, ["status", "--json"]).output)
    assert document["alerts"][0]["summary"] == "no predictions in the last hour"
    assert document["decisions"][0]["reason"] == "worse on live traffic"
