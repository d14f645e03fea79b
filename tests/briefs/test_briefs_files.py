"""Rendering (one language per file, escaped, phone layout) and the brief folder (written
whole, then renamed); the dashboards' import path stays free of the database driver."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from salesops import briefs
from salesops.briefs import (
    CategoryCount,
    ManagerBrief,
    Opportunity,
    OpportunityNote,
    RepBrief,
    Risk,
    Signal,
    SopCard,
    TeamKeywords,
    render,
)
from salesops.briefs import files as brief_files
from salesops.briefs import write as brief_write

BRIEF_DATE = dt.date(2026, 11, 27)
NASTY = '<script>alert("x")</script> & *粗体* [链接](http://evil)'
REPO = Path(__file__).resolve().parents[2]


def _nasty_briefs(rules: briefs.BriefRules) -> list[briefs.Brief]:
    note = OpportunityNote(
        "o<1>",
        "r/1",
        NASTY,
        (Signal("competitor", False, 2, (NASTY,)),),
        (Risk("competitor", (NASTY,)),),
        Opportunity(customer_name=NASTY, amount=1.0, stage="quote", expected_close_raw=NASTY),
        SopCard("k", NASTY),
        2.0,
    )
    common = {
        "brief_date": BRIEF_DATE,
        "as_of": dt.date(2026, 11, 26),
        "category_counts": (CategoryCount("competitor", 2, 0),),
        "rules": rules,
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
            risks=(note,) * 7,
            team_keywords=(TeamKeywords("t", NASTY, dt.date(2026, 11, 23), ((1, NASTY, 3),)),),
        ),
    ]


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_html_escapes_every_user_text(index, language, shipped_rules):
    page = briefs.render_html(_nasty_briefs(shipped_rules)[index], language)
    assert "<script>" not in page and "<a " not in page.replace('<a href="#all-risks">', "")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;" in page
    assert "http" not in page.replace("http://evil", "")  # no external resource


@pytest.mark.parametrize("index", [0, 1])
def test_markdown_escapes_every_user_text(index, shipped_rules):
    text = briefs.render_markdown(_nasty_briefs(shipped_rules)[index], "en")
    assert "<script>" not in text and "[链接](" not in text and " *粗体*" not in text
    assert r"\<script\>" in text and r"\*粗体\*" in text and r"\[链接\]" in text


@pytest.mark.parametrize(
    ("amount", "zh", "en"),
    [
        (1_234_567, "¥123.5万", "¥1,234,567"),
        (12_345_678_900, "¥1,234,567.9万", "¥12,345,678,900"),
        (10_000, "¥1.0万", "¥10,000"),
        (9_800, "¥9,800", "¥9,800"),
        (None, None, None),
    ],
)
def test_amounts_in_yuan_with_wan_for_large_chinese_figures(amount, zh, en):
    assert render.format_amount(amount, "zh") == zh
    assert render.format_amount(amount, "en") == en


def _brief(items: list[briefs.Brief], subject_id: str) -> briefs.Brief:
    return next(b for b in items if b.subject_id == subject_id)


def test_each_risk_line_is_actionable(brief_snapshot):
    team = _brief(briefs.build_briefs(brief_snapshot, BRIEF_DATE), "t-sh1")
    zh = briefs.render_markdown(team, "zh")
    assert zh.startswith("## 沟通洞察简报 · 团队: 总部 / 华东大区 / 上海 / 上海一组 · 2026-11-27")
    assert "对话日期：2026-11-26 · 数据截至：2026-11-26" in zh
    assert (
        "1. **上海浦江精密制造有限公司** · ¥123.5万 · 方案报价 · 预计成交 2026-12-15 — "
        "风险：审批未批 (自 2026-11-26 起; 领导还没批) — 建议打法卡：报价后48小时回访 "
        "(负责人 张三, 商机 o1)"
    ) in zh
    assert (
        "**苏州工业园区新材料科技有限公司** · ¥30.0万 · 需求确认 · 预计成交 尽快 — "
        "风险：预算受阻 (预算); 竞品出现 (竞品) — 建议打法卡：预算摸底清单"
    ) in zh  # no card of its own team (t-sh1): the tie between other teams goes to K2
    assert "- 上海一组 (2026-11-23 起一周): 1. 领导还没批 (4) · 2. 价格 (3) · 3. 招标 (1)" in zh
    en = briefs.render_markdown(team, "en")
    assert (
        "**杭州西湖医疗器械有限公司** · ¥800,000 · Negotiation · expected close 2026-12-31 — "
        "Risk: Approval pending (since 2026-11-18; 领导还没批) — "
        "Suggested SOP card: 医疗行业商务谈判让步清单 (owner 李四, opportunity o3)"
    ) in en
    hq = briefs.render_markdown(_brief(briefs.build_briefs(brief_snapshot, BRIEF_DATE), "hq"), "zh")
    assert "**宁波港口物流集团有限公司** · ¥5.0万 · 方案报价 · 预计成交 2027-01-20" in hq
    assert "建议打法卡：暂无 (负责人 王五, 商机 o6)" in hq  # no card for 物流
    assert "**未建档客户** · ¥9,800 · 线索 · 预计成交日未填" in hq  # never a bare id


def test_one_language_per_file(brief_snapshot):
    for brief in briefs.build_briefs(brief_snapshot, BRIEF_DATE):
        zh, en = briefs.render_markdown(brief, "zh"), briefs.render_markdown(brief, "en")
        zh_headings = re.findall(r"^#+ (.*)$", zh, re.MULTILINE)
        en_headings = re.findall(r"^#+ (.*)$", en, re.MULTILINE)
        assert zh_headings and not any(re.search(r"[A-Za-z]{3,}", h) for h in zh_headings)
        assert en_headings and not any(re.search(r"[\u4e00-\u9fff]", h) for h in en_headings[1:])
        assert "Daily communication brief" not in zh and "沟通洞察简报" not in en
        assert "风险金额" in zh and "amount at risk" in en  # each footer in its language
        for language in ("zh", "en"):
            page = briefs.render_html(brief, language)
            assert f'<html lang="{language}">' in page
        assert "Opportunities at risk" not in briefs.render_html(brief, "zh")


def test_the_full_risk_list_is_one_link_away(brief_snapshot):
    hq = _brief(briefs.build_briefs(brief_snapshot, BRIEF_DATE), "hq")
    assert hq.rules.manager_top_risks == 5 and len(hq.top_risks) == 5 and len(hq.risks) == 6
    for language in ("zh", "en"):
        markdown = briefs.render_markdown(hq, language)
        [target] = re.findall(r"\]\(#([^)]+)\)", markdown)
        headings = {render.anchor(h) for h in re.findall(r"^#+ (.*)$", markdown, re.MULTILINE)}
        assert target in headings
        full = markdown[markdown.index(f"### {render.TEXTS[language]['all_risks']}") :]
        assert "o8" in full and "o8" not in markdown[: markdown.index("](#")]
        page = briefs.render_html(hq, language)
        [href] = re.findall(r'href="#([^"]+)"', page)
        assert f'id="{href}"' in page
        assert page.index('href="#') < page.index(f'id="{href}"')
    t_sh1 = _brief(briefs.build_briefs(brief_snapshot, BRIEF_DATE), "t-sh1")
    assert "](#" not in briefs.render_markdown(t_sh1, "zh")  # 3 risks: all on top already


@pytest.mark.parametrize("subject_id", ["hq", "r2"])
def test_the_html_reads_on_a_phone(brief_snapshot, subject_id):
    brief = _brief(briefs.build_briefs(brief_snapshot, BRIEF_DATE), subject_id)
    for language in ("zh", "en"):
        page = briefs.render_html(brief, language)
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
        assert "<table" not in page  # cards and lists, no wide tables
        css = page[page.index("<style>") : page.index("</style>")]
        assert not re.search(
            r"float:|column-count|columns:|grid-template-columns|display:\s*flex", css
        )
        body_rule = re.search(r"\bbody\{([^}]*)\}", css).group(1)
        assert int(re.search(r"font-size:(\d+)px", body_rule).group(1)) >= 16
        assert re.search(r"max-width:\s*\d+rem", body_rule)  # one column, centred
        for size in re.findall(r"font-size:([\d.]+)(rem|em|px)", css):
            value = float(size[0]) * (1 if size[1] == "px" else 16)
            assert value >= 16, f"a font smaller than 16px: {size}"
        assert 'class="card"' in page


def test_write_briefs_lays_out_the_folder(brief_snapshot, tmp_path):
    items = briefs.build_briefs(brief_snapshot, BRIEF_DATE)
    written = briefs.write_briefs(items, tmp_path / "briefs")
    folder = tmp_path / "briefs" / "2026-11-27"
    assert written.folder == folder and written.index == folder / "index.html"
    assert (written.reps, written.managers) == (4, 8)
    assert sorted(p.name for p in (folder / "rep").iterdir()) == [
        f"r{i}.{language}.{ext}"
        for i in range(1, 5)
        for language in ("en", "zh")
        for ext in ("html", "md")
    ]
    zh = (folder / "manager" / "t-sh1.zh.md").read_text(encoding="utf-8")
    en = (folder / "manager" / "t-sh1.en.md").read_text(encoding="utf-8")
    assert zh.startswith("## 沟通洞察简报") and en.startswith("## Daily communication brief")
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert [m["unit_id"] for m in index["managers"]][:3] == ["hq", "r-east", "c-sh"]
    assert index["reps"][0] == {
        "rep_id": "r1",
        "name": "张三",
        "team_id": "t-sh1",
        "files": {"zh": "rep/r1.zh.md", "en": "rep/r1.en.md"},
        "risks": 1,
    }
    index_page = written.index.read_text(encoding="utf-8")
    assert (
        'href="manager/t-sh1.zh.html"' in index_page
        and 'href="manager/t-sh1.en.html"' in index_page
    )
    assert briefs.brief_dates(tmp_path / "briefs") == [BRIEF_DATE]
    assert [p.name for p in (tmp_path / "briefs").iterdir()] == ["2026-11-27"]  # no leftovers
    assert brief_files.read_brief(folder, "manager", "t-sh1", "en") == en
    assert brief_files.read_brief(folder, "manager", "nobody", "zh") is None


def test_ids_become_safe_file_names(tmp_path, shipped_rules):
    written = briefs.write_briefs(_nasty_briefs(shipped_rules), tmp_path / "briefs")
    assert (written.folder / "rep" / "r%2F1.zh.md").is_file()
    assert (written.folder / "manager" / "%2E%2E%2Ft.en.html").is_file()
    assert 'href="manager/%252E%252E%252Ft.zh.html"' in written.index.read_text(encoding="utf-8")


def test_rewrite_replaces_the_folder_whole_and_a_failure_leaves_the_old_one(
    brief_snapshot, tmp_path, monkeypatch
):
    folder = tmp_path / "briefs"
    items = briefs.build_briefs(brief_snapshot, BRIEF_DATE)
    first = briefs.write_briefs(items, folder)
    (first.folder / "rep" / "stale.md").write_text("old")

    def broken(brief, language):
        raise RuntimeError("disk full")

    monkeypatch.setattr(brief_write, "render_html", broken)
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

    monkeypatch.setattr(brief_write.os, "replace", spy)
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


def test_the_dashboards_import_path_does_not_import_duckdb():
    code = (
        "import sys\n"
        "from salesops.briefs import files\n"
        "files.brief_dates; files.briefs_dir; files.brief_file; files.INDEX_JSON\n"
        "loaded = [m for m in sys.modules if m == 'duckdb' or m.startswith('duckdb.')]\n"
        "rules = [m for m in sys.modules if m.startswith('salesops.briefs.') and m != 'salesops.briefs.files']\n"
        "print(loaded, rules)\n"
        "sys.exit(1 if loaded or rules else 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
