"""Rendering (bilingual, escaped) and the brief folder (written whole, then renamed)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from salesops import briefs
from salesops.briefs import (
    CategoryCount,
    ManagerBrief,
    OpportunityNote,
    RepBrief,
    Risk,
    Signal,
    TeamKeywords,
)

BRIEF_DATE = dt.date(2026, 11, 27)
NASTY = '<script>alert("x")</script> & *粗体* [链接](http://evil)'


def _nasty_briefs() -> list[briefs.Brief]:
    note = OpportunityNote(
        "o<1>",
        "r/1",
        NASTY,
        (Signal("competitor", False, 2, (NASTY,)),),
        (Risk("competitor", (NASTY,)),),
    )
    common = {
        "brief_date": BRIEF_DATE,
        "as_of": dt.date(2026, 11, 26),
        "category_counts": (CategoryCount("competitor", 2, 0),),
    }
    return [
        RepBrief(
            **common,
            rep_id="r/1",
            name=NASTY,
            team_id="t",
            top_keywords=(NASTY,),
            opportunities=(note,),
            risks=(note,),
        ),
        ManagerBrief(
            **common,
            unit_id="../t",
            level="team",
            name=NASTY,
            name_path=NASTY,
            rep_ids=("r/1",),
            reps_with_signals=1,
            opportunities_with_signals=1,
            top_risks=(note,),
            risk_opportunities=1,
            team_keywords=(TeamKeywords("t", NASTY, dt.date(2026, 11, 23), ((1, NASTY, 3),)),),
        ),
    ]


@pytest.mark.parametrize("index", [0, 1])
def test_html_escapes_every_user_text(index):
    page = briefs.render_html(_nasty_briefs()[index])
    assert "<script>" not in page and "<a " not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in page
    assert page.index('<section lang="zh">') < page.index('<section lang="en">')
    assert "http" not in page.replace("http://evil", "")  # no external resource


@pytest.mark.parametrize("index", [0, 1])
def test_markdown_escapes_every_user_text(index):
    text = briefs.render_markdown(_nasty_briefs()[index], "en")
    assert "<script>" not in text and "[链接](" not in text and " *粗体*" not in text
    assert r"\<script\>" in text and r"\*粗体\*" in text and r"\[链接\]" in text


def test_rendered_brief_of_the_fixture(brief_snapshot):
    items = briefs.build_briefs(brief_snapshot, BRIEF_DATE)
    team = next(b for b in items if b.subject_id == "t-sh1")
    zh = briefs.render_markdown(team, "zh")
    assert zh.startswith("## 沟通洞察简报 · 团队: 总部 / 华东大区 / 上海 / 上海一组 · 2026-11-27")
    assert "对话日期：2026-11-26 · 数据截至：2026-11-26" in zh
    assert "- **o3** (负责人 李四): 审批未批 (自 2026-11-18 起; 领导还没批)" in zh
    assert "- 上海一组 (2026-11-23 起一周): 1. 领导还没批 (4) · 2. 价格 (3) · 3. 招标 (1)" in zh
    en = briefs.render_markdown(team, "en")
    assert "- **o4** (owner 李四): Budget blocked (预算); Competitor in play (竞品)" in en
    both = briefs.render_markdown(team)
    assert briefs.markdown_section(both, "zh") == zh.strip() + "\n"
    assert briefs.markdown_section(both, "en") == en.strip() + "\n"
    html = briefs.render_html(team)
    assert html.index("审批未批") < html.index("Approval pending")


def test_write_briefs_lays_out_the_folder(brief_snapshot, tmp_path):
    items = briefs.build_briefs(brief_snapshot, BRIEF_DATE)
    written = briefs.write_briefs(items, tmp_path / "briefs")
    folder = tmp_path / "briefs" / "2026-11-27"
    assert written.folder == folder and written.index == folder / "index.html"
    assert (written.reps, written.managers) == (4, 8)
    assert sorted(p.name for p in (folder / "rep").iterdir()) == [
        f"r{i}.{ext}" for i in range(1, 5) for ext in ("html", "md")
    ]
    assert (
        (folder / "manager" / "t-sh1.md").read_text(encoding="utf-8").startswith("<!-- lang:zh -->")
    )
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert [m["unit_id"] for m in index["managers"]][:3] == ["hq", "r-east", "c-sh"]
    assert index["reps"][0] == {
        "rep_id": "r1",
        "name": "张三",
        "team_id": "t-sh1",
        "file": "rep/r1.md",
        "risks": 1,
    }
    assert 'href="manager/t-sh1.html"' in written.index.read_text(encoding="utf-8")
    assert briefs.brief_dates(tmp_path / "briefs") == [BRIEF_DATE]
    assert [p.name for p in (tmp_path / "briefs").iterdir()] == ["2026-11-27"]  # no leftovers


def test_ids_become_safe_file_names(tmp_path):
    written = briefs.write_briefs(_nasty_briefs(), tmp_path / "briefs")
    assert (written.folder / "rep" / "r%2F1.md").is_file()
    assert (written.folder / "manager" / "%2E%2E%2Ft.html").is_file()
    assert 'href="manager/%252E%252E%252Ft.html"' in written.index.read_text(encoding="utf-8")


def test_rewrite_replaces_the_folder_whole_and_a_failure_leaves_the_old_one(
    brief_snapshot, tmp_path, monkeypatch
):
    folder = tmp_path / "briefs"
    items = briefs.build_briefs(brief_snapshot, BRIEF_DATE)
    first = briefs.write_briefs(items, folder)
    (first.folder / "rep" / "stale.md").write_text("old")

    def broken(brief):
        raise RuntimeError("disk full")

    monkeypatch.setattr(briefs, "render_html", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        briefs.write_briefs(items, folder)
    assert (first.folder / "rep" / "stale.md").read_text() == "old"  # untouched
    assert sorted(os.listdir(folder)) == ["2026-11-27"]  # the temporary folder is gone

    monkeypatch.undo()
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src, dst):
        renames.append((Path(src).name, Path(dst).name))
        real_replace(src, dst)

    monkeypatch.setattr(briefs.os, "replace", spy)
    briefs.write_briefs(items, folder)
    assert not (first.folder / "rep" / "stale.md").exists()
    assert [dst for _, dst in renames][-1] == "2026-11-27"
    assert renames[-1][0].startswith(".2026-11-27.") and renames[-1][0].endswith(".tmp")
    assert sorted(os.listdir(folder)) == ["2026-11-27"]


def test_a_folder_without_its_index_is_not_offered(tmp_path):
    (tmp_path / "2026-11-27" / "rep").mkdir(parents=True)
    (tmp_path / ".2026-11-28.abc.tmp").mkdir()
    assert briefs.brief_dates(tmp_path) == []


def test_briefs_of_one_date_only(brief_snapshot, tmp_path):
    items = briefs.build_briefs(brief_snapshot, BRIEF_DATE)
    other = briefs.build_briefs(brief_snapshot, dt.date(2026, 11, 26))
    with pytest.raises(ValueError, match="one date"):
        briefs.write_briefs([*items, *other], tmp_path)
