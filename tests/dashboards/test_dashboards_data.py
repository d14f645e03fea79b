"""The data module: the snapshot it resolves, read-only access, bound parameters."""

from __future__ import annotations

import duckdb
import pytest

from dashboards import data
from dashboards.queries import funnel
from salesops.config import Paths

HQ = data.Viewer("hq", "周总", "manager", "hq")


def scope(unit_id: str, viewer: data.Viewer = HQ) -> data.Scope:
    snapshot = data.current_snapshot()
    assert snapshot is not None
    return data.Scope(snapshot, viewer, unit_id, unit_id)


def test_the_snapshot_is_the_published_file_under_salesops_home(published: Paths) -> None:
    snapshot = data.current_snapshot()
    assert snapshot is not None
    assert snapshot.path == str(published.home / "warehouse" / "salesops.duckdb")


def test_no_snapshot_before_the_first_publish(salesops_home: Paths) -> None:
    assert data.current_snapshot() is None


def test_a_publish_yields_a_new_snapshot_and_new_rows(published: Paths, publish) -> None:
    before = data.current_snapshot()
    assert funnel.funnel_summary(scope("hq"))["median_lead_to_sign_days"] == 62.0
    publish(summaries={"hq": (100, 30, 30, 40, 0.43, 30, 58.0, 66.0)})
    assert data.current_snapshot() != before
    assert funnel.funnel_summary(scope("hq"))["median_lead_to_sign_days"] == 58.0


def test_a_unit_id_with_a_quote_finds_its_rows(published: Paths) -> None:
    assert funnel.funnel_summary(scope("t-o'brien"))["opportunities_count"] == 8
    assert funnel.funnel_stages(scope("t-o'brien"))["reached_count"].tolist() == [8, 7, 6, 5, 4]


@pytest.mark.parametrize(
    "unit_id", ["x' or '1'='1", "hq' --", "hq'; drop table marts.fct_funnel_summary; --"]
)
def test_a_unit_id_is_a_value_never_sql(published: Paths, unit_id: str) -> None:
    assert funnel.funnel_summary(scope(unit_id)) is None
    assert funnel.funnel_stages(scope(unit_id)).empty
    assert funnel.funnel_summary(scope("hq"))["opportunities_count"] == 100


def test_the_snapshot_is_opened_read_only(published: Paths) -> None:
    connection = data._database(data.current_snapshot())
    with pytest.raises(duckdb.Error, match="read-only"):
        connection.execute("delete from snapshot.marts.fct_funnel_summary")


def test_org_units_come_in_tree_order(published: Paths) -> None:
    units = data.viewer_units(data.current_snapshot(), HQ)
    assert units["unit_id"].tolist()[:3] == ["hq", "r-east", "c-sh"]
    assert units["name_path"].iloc[0] == "总部"


def test_a_manager_is_offered_their_unit_and_the_units_under_it_only(published: Paths) -> None:
    city = data.Viewer("sh", "上海经理", "manager", "c-sh")
    units = data.viewer_units(data.current_snapshot(), city)
    assert units["unit_id"].tolist() == ["c-sh", "t-sh1", "t-o'brien"]


def test_a_rep_is_offered_their_team_only(published: Paths) -> None:
    rep = data.resolve_viewer(data.current_snapshot(), "rep", "李娜", "rep", None, "s-001")
    assert rep == data.Viewer("rep", "李娜", "rep", "t-sh1", "s-001")
    assert data.viewer_units(data.current_snapshot(), rep)["unit_id"].tolist() == ["t-sh1"]


@pytest.mark.parametrize("unit_id", ["r-east", "c-sh", "t-sh1", "hq", "x' or '1'='1"])
def test_a_unit_outside_the_viewers_own_has_no_rows(published: Paths, unit_id: str) -> None:
    north = data.Viewer("bj", "北京经理", "manager", "c-bj")
    assert funnel.funnel_summary(scope(unit_id, north)) is None
    assert funnel.funnel_stages(scope(unit_id, north)).empty


def test_a_rep_reads_no_unit_totals_not_even_their_teams(published: Paths) -> None:
    rep = data.Viewer("rep", "李娜", "rep", "t-sh1", "s-001")
    assert funnel.funnel_summary(scope("t-sh1", rep)) is None
    assert funnel.funnel_summary(scope("t-sh1"))["opportunities_count"] == 20


def test_a_missing_column_is_reported_as_an_unreadable_snapshot(published: Paths) -> None:
    with duckdb.connect(str(published.snapshot_db)) as writer:
        writer.execute("alter table marts.fct_funnel_summary drop column signed_count")
    with pytest.raises(data.SnapshotUnreadable, match="signed_count"):
        funnel.funnel_summary(scope("hq"))
