"""QualityStore contract: profile links and quality report rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from store_records import at

from mloop.stores.metadata import MetadataStores, QualityReportRecord


def report(id: str, kind: str, *, run: str | None = None, passed: bool | None = True, created: float = 0,
           subject: str = "tx.parquet") -> QualityReportRecord:
    return QualityReportRecord(id=id, kind=kind, artifact_id=f"a{id}", subject=subject, passed=passed,
                               summary={"checks": 3, "failed": 0 if passed else 1, "order": {"z": 1, "a": 2}},
                               run_id=run, step_run_id=None, created_at=at(created))


def test_a_profile_link_is_found_by_subject_and_replaced_when_linked_again(store: MetadataStores) -> None:
    quality = store.quality
    assert quality.profiles_of(["artifact:x"]) == {}
    quality.link_profile("artifact:x", "p1")
    quality.link_profile("model:fraud/1", "p1")
    assert quality.profiles_of(["artifact:x", "model:fraud/1", "model:fraud/2"]) == {
        "artifact:x": "p1", "model:fraud/1": "p1"}
    quality.link_profile("artifact:x", "p2")
    assert quality.profiles_of(["artifact:x"]) == {"artifact:x": "p2"}
    assert quality.profiles_of([]) == {}


def test_reports_are_listed_newest_first_and_filtered(store: MetadataStores) -> None:
    quality = store.quality
    quality.add_report(report("1", "validation", run="r1", created=1))
    quality.add_report(report("2", "drift", passed=False, created=2, subject="fraud@champion"))
    quality.add_report(report("3", "validation", run="r2", passed=False, created=3))
    assert [r.id for r in quality.list_reports()] == ["3", "2", "1"]
    assert [r.id for r in quality.list_reports(kind="validation")] == ["3", "1"]
    assert [r.id for r in quality.list_reports(run_id="r1")] == ["1"]
    assert [r.id for r in quality.list_reports(subject="fraud@champion")] == ["2"]
    assert [r.id for r in quality.list_reports(limit=1)] == ["3"]
    first = quality.list_reports(run_id="r1")[0]
    assert first == report("1", "validation", run="r1", created=1)
    assert list(first.summary["order"]) == ["z", "a"]  # key order kept (json, not jsonb)
