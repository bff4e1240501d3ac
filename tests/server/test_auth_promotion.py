"""The protected champion on a real server: an editor moves it only to a version whose blessing report
passed, an admin always may, a rule can make it admins-only; each promotion's audit entry links its
blessing report and the model's drift evidence."""

from __future__ import annotations

import auth_served
import pandas as pd
from auth_served import PROMOTE_ROUTE, Team
from sklearn.linear_model import LogisticRegression

import mloop

team = auth_served.team  # the module's server (a fixture)


def register(name: str, auc: float) -> mloop.ModelVersion:
    frame = pd.DataFrame({"amount": [1.0, 2.0, 3.0, 4.0], "label": [0, 0, 1, 1]})
    model = LogisticRegression().fit(frame[["amount"]], frame["label"])
    return mloop.register_model(name, model, metrics={"val_auc": auc}, training_data=frame, target="label")


def move(client: object, model: str, alias: str, version: int) -> tuple[int, dict]:  # type: ignore[type-arg]
    answer = client.put(PROMOTE_ROUTE.format(model=model, alias=alias), json={"version": version})  # type: ignore[attr-defined]
    return answer.status_code, answer.json()


def test_editor_moves_champion_only_to_a_version_with_a_passing_blessing_report(team: Team) -> None:
    register("fraud", 0.9)  # version 1: blessed below
    register("fraud", 0.6)  # version 2: its blessing fails
    register("fraud", 0.95)  # version 3: never blessed
    mloop.apply_monitors(mloop.Monitor(name="fraud-drift", kind="data_drift", model="fraud"))
    checked = mloop.run_monitor("fraud-drift")
    alert = mloop.raise_alert("fraud-drift", "amount drifted")
    report = mloop.bless("fraud/1", mloop.Blessing(metric="val_auc", min=0.8))
    assert report.passed and not mloop.bless("fraud/2", mloop.Blessing(metric="val_auc", min=0.8)).passed

    with team.client("editor") as editor, team.client("admin") as admin, team.client("viewer") as viewer:
        status, body = move(editor, "fraud", "champion", 3)
        assert status == 403 and "version 3 has no blessing report" in body["error"]["message"]
        assert "mloop models bless fraud 3" in body["error"]["message"]
        status, body = move(editor, "fraud", "champion", 2)
        assert status == 403 and "no passing blessing report" in body["error"]["message"]
        assert move(viewer, "fraud", "champion", 1)[0] == 403
        assert mloop.model_aliases("fraud") == {}  # nothing moved

        assert move(editor, "fraud", "champion", 1) == (200, {"alias": "champion", "version": 1})
        assert move(editor, "fraud", "challenger", 3)[0] == 200  # not protected
        assert move(admin, "fraud", "champion", 2)[0] == 200  # an admin may, even unblessed (forced, recorded)
        assert mloop.model_aliases("fraud") == {"fraud": {"champion": 2, "challenger": 3}}

        entries = admin.get("/api/v1/audit", params={"action": "models.promote"}).json()
        by_target = [(e["who"], e["target"], e["detail"]["version"]) for e in entries]
        assert by_target == [("admin-1", "models/fraud/aliases/champion", 2),
                             ("editor-1", "models/fraud/aliases/challenger", 3),
                             ("editor-1", "models/fraud/aliases/champion", 1)]
        promoted = entries[-1]["detail"]
        assert promoted["blessing"]["id"] == report.id and promoted["blessing"]["passed"] is True
        drift = promoted["drift"]
        assert drift["open_alerts"] == [alert.id]
        assert [(m["monitor"], m["result"], m["status"]) for m in drift["monitors"]] == [
            ("fraud-drift", checked.id, str(checked.status))]
        assert entries[0]["detail"]["blessing"]["passed"] is False  # the admin's move shows what it overrode
        assert entries[1]["detail"]["blessing"] is None


def test_an_admins_only_rule_stops_editors_even_with_a_blessing(team: Team) -> None:
    register("churn", 0.9)
    assert mloop.bless("churn/1", mloop.Blessing(metric="val_auc", min=0.5)).passed
    with team.client("editor") as editor, team.client("admin") as admin:
        assert editor.put("/api/v1/alias-rules", json={"model": "churn", "alias": "champion",
                                                       "rule": "admin"}).status_code == 403
        rule = admin.put("/api/v1/alias-rules", json={"model": "churn", "alias": "champion", "rule": "admin"})
        assert rule.json()["rule"] == "admin" and rule.json()["updated_by"] == "admin-1"
        status, body = move(editor, "churn", "champion", 1)
        assert status == 403 and "only admins may move it" in body["error"]["message"]
        assert move(editor, "fraud", "champion", 1)[0] == 200  # other models keep the default rule
        assert move(admin, "churn", "champion", 1)[0] == 200
        rules = {(r["model"], r["alias"]): (r["rule"], r["default"]) for r in admin.get("/api/v1/alias-rules").json()}
        assert rules[("churn", "champion")] == ("admin", False) and rules[("*", "champion")] == ("blessed", True)
        assert admin.put("/api/v1/alias-rules", json={"model": "churn", "alias": "champion",
                                                      "rule": "nobody"}).status_code == 422


def test_the_most_specific_alias_rule_decides() -> None:
    from mloop.registry.protection import AliasRule, rule_for

    rules = [AliasRule("*", "champion", "blessed"), AliasRule("fraud-*", "champion", "admin"),
             AliasRule("fraud-eu", "champion", "open"), AliasRule("*", "canary", "admin")]
    assert rule_for("churn", "champion", rules) == "blessed"
    assert rule_for("fraud-us", "champion", rules) == "admin"  # a longer glob beats "*"
    assert rule_for("fraud-eu", "champion", rules) == "open"  # the exact name beats every glob
    assert rule_for("fraud-us", "canary", rules) == "admin"
    assert rule_for("fraud-us", "challenger", rules) == "open"  # no rule: anyone who may write
