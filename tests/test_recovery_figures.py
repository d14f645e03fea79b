"""benchmarks.recovery_figures on a hand-made world home: a tiny snapshot (older and newer mart
column names mixed) and truth files small enough to compute every figure by eye."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from benchmarks.recovery_figures import World, main, measure

TRUTH = {
    "generator": {"start_date": "2026-01-01"},
    "loss_reasons": {
        "planted": {"true_mix": {"price": 0.5, "it_fit": 0.5}},
        "realised_true_mix": {"price": 0.6, "it_fit": 0.4},
    },
    "keywords": {"effects_log_odds": {"竞品": -0.5, "预算批了": 0.9}},
    "emerging_term": {"team_id": "T1", "week_start": "2026-03-02", "term": "防水等级"},
}
TRUTH_CSVS = {
    # O1/O2 price with planted evidence, O3 it_fit with evidence, O4/O5 without evidence
    "lost_opportunities": [
        ("O1", "price", True),
        ("O2", "price", True),
        ("O3", "it_fit", True),
        ("O4", "budget", False),
        ("O5", "price", False),
    ],
    "opportunity_signals": [
        ("O1", "竞品|预算批了"),
        ("O2", "竞品"),
        ("O3", None),
        ("O4", "预算批了"),
    ],
    "outlier_rep_weeks": [
        ("S1", "2026-02-02", "lead_first_response_hours"),
        ("S4", "2026-02-16", "visit_node_completion_rate"),
    ],
}
SNAPSHOT = """
create schema marts;
create schema seeds;
create table marts.dim_org_units as
    select * from (values ('HQ', 'hq'), ('T1', 'team')) as t(unit_id, level);
-- the HQ mix: stated price 3 / it_fit 1, evidence 1 / 1; December (before the window) and the
-- team rows do not count
create table marts.fct_loss_reason_mix_monthly as
    select unit_id, cast(lost_month as date) as lost_month, reason_code, stated_count, evidence_count
    from (values
        ('HQ', '2026-01-01', 'price', 3, 1),
        ('HQ', '2026-01-01', 'it_fit', 1, 1),
        ('HQ', '2025-12-01', 'price', 100, 0),
        ('T1', '2026-01-01', 'it_fit', 0, 50)
    ) as t(unit_id, lost_month, reason_code, stated_count, evidence_count);
create table marts.fct_lost_opportunity_reasons as
    select opportunity_id, evidence_reason_code, cast(lost_at as timestamp) as lost_at
    from (values
        ('O1', 'price', '2026-01-05'),
        ('O2', 'it_fit', '2026-01-06'),
        ('O3', null, '2026-01-07'),
        ('O4', null, '2026-01-08'),
        ('O5', 'price', '2026-01-09'),
        ('O0', 'price', '2025-12-20')
    ) as t(opportunity_id, evidence_reason_code, lost_at);
create table seeds.chat_keywords as
    select * from (values ('竞品', '竞争产品'), ('预算已批', '预算批了|立项已批'), ('价格', null))
    as t(keyword, synonyms);
-- O2's 竞品 is negated; O3's is not planted; 价格 is not watched; O9 is not in the truth file
create table marts.fct_opportunity_signals_daily as
    select * from (values
        ('O1', false, '竞品, 预算已批'),
        ('O2', true, '竞品'),
        ('O3', false, '竞品'),
        ('O4', false, '价格'),
        ('O9', false, '竞品')
    ) as t(opportunity_id, negated, keywords);
-- an older snapshot's column name: team_id
create table marts.fct_team_emerging_terms_weekly as
    select team_id, cast(week_start as date) as week_start, term_rank, token, 10 as mentions
    from (values
        ('T1', '2026-03-02', 1, '防水'),
        ('T1', '2026-03-02', 2, '防水等级'),
        ('T1', '2026-03-02', 3, '等级'),
        ('T1', '2026-03-09', 1, '防水等级'),
        ('T2', '2026-03-02', 1, '防水等级')
    ) as t(team_id, week_start, term_rank, token);
-- a newer snapshot's: rep_id beside the team's unit_id
create table marts.fct_process_health_flags as
    select scope_level, unit_id, rep_id, metric_code, cast(week_start as date) as week_start
    from (values
        ('rep', 'T1', 'S1', 'lead_first_response_hours', '2026-02-02'),
        ('rep', 'T1', 'S2', 'lead_first_response_hours', '2026-02-09'),
        ('rep', 'T1', 'S3', 'win_rate', '2026-02-09'),
        ('team', 'T1', null, 'lead_first_response_hours', '2026-02-02')
    ) as t(scope_level, unit_id, rep_id, metric_code, week_start);
"""
# O1 wrote both its words, O2 its 竞品; O4's 预算批了 never reached the chat
CHAT = [
    ("O1", "我们也在看竞品"),
    ("O1", "预算批了,下周签"),
    ("O2", "竞品那边更便宜"),
    ("O4", "你好"),
]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("world")
    truth = home / "landing" / "truth"
    truth.mkdir(parents=True)
    (home / "landing" / "truth.json").write_text(
        json.dumps(TRUTH, ensure_ascii=False), encoding="utf-8"
    )
    columns = {
        "lost_opportunities": ["opportunity_id", "true_reason", "has_evidence"],
        "opportunity_signals": ["opportunity_id", "keywords"],
        "outlier_rep_weeks": ["rep_id", "week_start", "metric"],
    }
    for name, rows in TRUTH_CSVS.items():
        pd.DataFrame(rows, columns=columns[name]).to_csv(truth / f"{name}.csv", index=False)
    (home / "warehouse").mkdir()
    con = duckdb.connect(str(home / "warehouse" / "salesops.duckdb"))
    con.execute(SNAPSHOT)
    con.close()
    (home / "bronze").mkdir()
    pd.DataFrame(CHAT, columns=["opportunity_id", "text"]).to_parquet(
        home / "bronze" / "chat_messages.parquet"
    )
    return home


def test_every_figure_is_computed_by_its_definition(home):
    figures = measure(World.open(str(home)))
    assert not [key for key in figures if key.endswith("_error")], figures
    expected = {
        # TV((.75, .25), (.5, .5)), TV((.5, .5), (.5, .5)), TV((.6, .4), (.5, .5))
        "loss_mix_tv_stated": 0.25,
        "loss_mix_tv_evidence": 0.0,
        "loss_mix_tv_realised_true": 0.1,
        # attributed O1 ✓, O2 ✗, O5 ✓; 3 of 5 attributed; O1, O2 of the planted O1–O3; O5 of O4–O5
        "lost_deals": 5,
        "evidence_accuracy": 2 / 3,
        "evidence_coverage": 3 / 5,
        "evidence_coverage_planted": 2 / 3,
        "evidence_false_attribution": 1 / 2,
        # planted (O1 竞品) (O1 预算已批) (O2 竞品) (O4 预算已批); detected (O1 竞品) (O1 预算已批) (O3 竞品)
        "signal_planted_pairs": 4,
        "signal_detected_pairs": 3,
        "signal_realised_pairs": 3,
        "signal_recall": 2 / 4,
        "signal_recall_realised": 2 / 3,
        "signal_precision": 2 / 3,
        "emerging_term_rank": 2,
        "emerging_piece_best_rank": 1,
        "emerging_piece_best_token": "防水",
        # S1 flagged; S4 missed; S2 a false flag on a planted metric; S3 on another metric
        "flag_planted": 2,
        "flag_recall": 1 / 2,
        "flag_precision": 1 / 2,
        "flags_on_planted_metrics": 2,
        "flags_other_metrics": 1,
    }
    for key, value in expected.items():
        assert figures[key] == pytest.approx(value), key


def test_markdown_and_json_carry_one_column_per_world(home, tmp_path, capsys):
    out = tmp_path / "figures.json"
    assert main([f"left={home}", f"right={home}", "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0] == "| 指标 / Figure | left | right |"
    assert "| 聊天信号召回率 / Chat signal recall | 0.500 | 0.500 |" in table
    written = json.loads(out.read_text(encoding="utf-8"))
    assert set(written["worlds"]) == {"left", "right"}
    assert written["worlds"]["left"]["flag_recall"] == pytest.approx(0.5)
