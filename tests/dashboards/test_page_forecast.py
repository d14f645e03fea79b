"""The forecast page (预测), driven from the entry point against hand-written marts.

华东大区 (r-east) has a backtest summary per method and lock point, monthly backtest rows,
accuracy rows for Oct 2026 (complete) and Nov 2026 (in progress), hygiene diagnostics; its
city 上海 has accuracy and hygiene rows; deals and contracts belong to reps s-001 / s-002
(上海一组) and s-101 (北京一组). The values are chosen here; the page must show them as is.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import APP, write_rows
from tests.dashboards.conftest import sign_in as _sign_in

FORECAST_PAGE = "app_pages/forecast.py"
METHODS = ("rep_submission", "pipeline_flat_50", "rules_engine", "ml", "ml_run_rate")
# method: mean accuracy at lock days 1, 8, 15, 22 (r-east)
ACCURACY = {
    "rep_submission": (0.72, 0.74, 0.75, 0.76),
    "pipeline_flat_50": (0.35, 0.55, 0.70, 0.85),
    "rules_engine": (0.30, 0.50, 0.68, 0.84),
    "ml": (0.88, 0.91, 0.94, 0.97),
    "ml_run_rate": (0.89, 0.92, 0.95, 0.975),
}
LOCK_DAYS = (1, 8, 15, 22)


def _summary_rows() -> list[dict]:
    rows = []
    for unit, scale in (("r-east", 1.0), ("c-sh", 0.5)):
        for method, accuracies in ACCURACY.items():
            for lock_day, accuracy in zip(LOCK_DAYS, accuracies, strict=True):
                rows.append(
                    {
                        "method": method,
                        "scope_level": "region" if unit == "r-east" else "city",
                        "unit_id": unit,
                        "lock_day": lock_day,
                        "tenure_cohort": "all",
                        "months": 24,
                        "first_period": "2024-11",
                        "last_period": "2026-10",
                        "forecast_amount": 9.0e7,
                        "booked_amount": 1.0e8,
                        "mean_accuracy": accuracy * scale,
                        "forecast_wape": 0.25,
                        "forecast_bias": -0.1,
                        "mase": 0.8,
                        "seasonal_naive_mase": 1.0,
                    }
                )
    return rows


def _backtest_rows() -> list[dict]:
    return [
        {
            "method": method,
            "scope_level": "region",
            "unit_id": "r-east",
            "period": period,
            "period_start": dt.date(2026, month, 1),
            "lock_day": lock_day,
            "tenure_cohort": "all",
            "forecast_amount": 1.0e6 * (index + 1) + lock_day,
            "booked_amount": 4.0e6,
            "forecast_accuracy": 0.5,
            "forecast_wape": 0.5,
            "forecast_bias": -0.5,
        }
        for index, method in enumerate(METHODS)
        for period, month in (("2026-09", 9), ("2026-10", 10))
        for lock_day in (1, 8)
    ]


def _accuracy(scope_level, scope_id, unit_id, rep_id, period, cohort, lock_day, accuracy, **more):
    return {
        "scope_level": scope_level,
        "scope_id": scope_id,
        "unit_id": unit_id,
        "rep_id": rep_id,
        "period": period,
        "lock_day": lock_day,
        "lock_date": dt.date(2026, int(period[-2:]), lock_day),
        "tenure_cohort": cohort,
        "is_period_complete": period == "2026-10",
        "reps_forecasting": more.get("reps", 3),
        "forecast_amount": more.get("forecast", 1200000.0),
        "booked_amount": more.get("booked", 1000000.0),
        "forecast_accuracy": accuracy,
        "forecast_wape": more.get("wape", 0.2),
        "forecast_bias": more.get("bias", 0.2),
    }


def _accuracy_rows() -> list[dict]:
    rows = []
    for period in ("2026-10", "2026-11"):
        late = 0.1 if period == "2026-11" else 0.0
        for lock_day, base in zip(LOCK_DAYS, (0.80, 0.84, 0.86, 0.90), strict=True):
            for cohort, shift in (("all", 0.0), ("new", -0.40), ("tenured", 0.05)):
                rows.append(
                    _accuracy(
                        "region",
                        "r-east",
                        "r-east",
                        None,
                        period,
                        cohort,
                        lock_day,
                        base + shift - late,
                    )
                )
        for lock_day, accuracy in ((1, 0.815), (8, 0.825)):
            rows.append(
                _accuracy(
                    "city", "c-sh", "c-sh", None, period, "all", lock_day, accuracy - late, reps=2
                )
            )
            rows.append(
                _accuracy("city", "c-sh", "c-sh", None, period, "new", lock_day, 0.1, reps=1)
            )
        for lock_day in LOCK_DAYS:
            rows.append(
                _accuracy(
                    "rep", "s-001", "t-sh1", "s-001", period, "tenured", lock_day, 0.911, reps=1
                )
            )
            rows.append(
                _accuracy(
                    "rep", "s-101", "t-bj1", "s-101", period, "tenured", lock_day, 0.333, reps=1
                )
            )
    rows.append(_accuracy("region", "r-north", "r-north", None, "2026-10", "all", 1, 0.444))
    return rows


def _hygiene(unit: str, period: str, as_of_month: bool, **values) -> dict:
    row = {
        "unit_id": unit,
        "period": period,
        "is_as_of_month": as_of_month,
        "warn_check_count": 2,
        "bad_close_date_share": 0.25,
        "default_probability_share": 0.40,
        "max_distinct_probabilities_per_stage": 1,
        "forecast_over_doc_mean": 0.18,
        "new_minus_tenured_bias": 0.345,
        "median_sync_lag_hours": 52.5,
        "misread_high_risk_count": 3,
    }
    for check, status in (
        ("close_date", "warn"),
        ("probability_binding", "warn"),
        ("forecast_vs_requirement_doc", "pass"),
        ("new_rep_bias", "pass"),
        ("finance_sync", "no_data"),
    ):
        row[f"{check}_status"] = status
        row[f"{check}_finding_zh"] = f"{unit} {check} 发现"
        row[f"{check}_finding_en"] = f"{unit} {check} finding"
    row.update(values)
    return row


# opportunity, rep, team, customer, amount
DEALS = [
    ("o-1", "s-001", "t-sh1", "上海浦江机械有限公司", 880000.0),
    ("o-2", "s-002", "t-sh1", "上海申达物流有限公司", 990000.0),
    ("o-9", "s-101", "t-bj1", "北京燕山化工有限公司", 5000000.0),
]


def _write_forecast_marts(con: duckdb.DuckDBPyConnection) -> None:
    write_rows(con, "marts.fct_forecast_backtest_summary", _summary_rows())
    write_rows(con, "marts.fct_forecast_backtest", _backtest_rows())
    write_rows(con, "marts.fct_forecast_accuracy", _accuracy_rows())
    write_rows(
        con,
        "marts.fct_win_probability_reliability",
        [
            {
                "probability_source": source,
                "stage": "all",
                "tenure_cohort": "all",
                "probability_bin": index,
                "bin_lower": index / 10,
                "bin_upper": (index + 1) / 10,
                "scored_rows": 100,
                "mean_probability": index / 10 + 0.05,
                "observed_win_rate": observed,
            }
            for source, bins in (("ml", (0.06, 0.52, 0.93)), ("rules", (0.4, 0.6, 0.8)))
            for index, observed in zip((0, 5, 9), bins, strict=True)
        ],
    )
    write_rows(
        con,
        "marts.fct_win_probability_evaluation",
        [
            {
                "probability_source": source,
                "stage": stage,
                "tenure_cohort": "all",
                "scored_rows": 1000,
                "opportunities": 200,
                "first_scored_on": dt.date(2025, 2, 1),
                "last_scored_on": dt.date(2026, 11, 22),
                "observed_win_rate": 0.7,
                "mean_probability": mean,
                "brier_score": brier,
                "log_loss": 0.4,
                "calibration_error": 0.02,
            }
            for source, stage, mean, brier in (
                ("ml", "all", 0.69, 0.1234),
                ("rules", "all", 0.32, 0.3456),
                ("ml", "quote", 0.5, 0.9999),
            )
        ],
    )
    write_rows(
        con,
        "marts.fct_forecast_hygiene",
        [
            _hygiene("r-east", "2026-11", True),
            _hygiene("r-east", "2026-10", False, warn_check_count=1, bad_close_date_share=None),
            _hygiene("c-sh", "2026-11", True, bad_close_date_share=0.125),
            _hygiene("c-bj", "2026-11", True, bad_close_date_share=0.999),
        ],
    )
    write_rows(
        con,
        "marts.dim_opportunities",
        [
            {"opportunity_id": o, "owner_rep_id": r, "team_id": t, "customer_name": c, "amount": a}
            for o, r, t, c, a in DEALS
        ],
    )
    write_rows(
        con,
        "marts.fct_forecast_hygiene_opportunities",
        [
            {
                "opportunity_id": opportunity,
                "owner_rep_id": rep,
                "team_id": team,
                "stage": "quote",
                "expected_close_date_raw": "尽快",
                "close_date_class": "non_date_text",
                "is_bad_close_date": True,
                "crm_probability": 0.5,
                "is_default_probability": True,
                "amount": amount,
                "forecast_amount": amount * 1.2,
                "requirement_doc_amount": amount,
                "forecast_over_doc": 0.2,
            }
            for opportunity, rep, team, _, amount in DEALS
        ],
    )
    write_rows(
        con,
        "marts.fct_finance_contracts_reconciled",
        [
            {
                "contract_id": f"HT-{opportunity}",
                "opportunity_id": opportunity,
                "owner_rep_id": rep,
                "team_id": team,
                "signed_on": dt.date(2026, 9, 1),
                "contract_amount": amount,
                "finance_paid_amount": amount / 2,
                "crm_paid_amount": 0.0,
                "paid_not_in_crm_amount": amount / 2,
                "days_since_signed": 86,
                "is_misread_high_risk": opportunity != "o-1",
            }
            for opportunity, rep, team, _, amount in DEALS
        ],
    )
    write_rows(
        con,
        "marts.fct_win_probabilities",
        [
            {
                "opportunity_id": opportunity,
                "owner_rep_id": rep,
                "team_id": team,
                "is_as_of": is_as_of,
                "stage": "negotiation",
                "amount": amount,
                "win_probability": probability,
                "rule_probability": 0.5,
                "crm_probability": 0.6,
                "model_weighted_amount": amount * probability,
            }
            for opportunity, rep, team, _, amount in DEALS
            for is_as_of, probability in ((True, 0.875), (False, 0.111))
        ],
    )


@pytest.fixture
def published(salesops_home, build_snapshot):
    build_snapshot(salesops_home.snapshot_db, extra_tables=(_write_forecast_marts,))
    return salesops_home


pytestmark = pytest.mark.usefixtures("published")


def open_forecast(username: str, language: str = "zh") -> AppTest:
    app = _sign_in(AppTest.from_file(APP, default_timeout=60), username)
    app.session_state["language"] = language
    app.run()
    app.switch_page(FORECAST_PAGE).run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    return app


def metrics(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def table(app: AppTest, *columns: str):
    frames = [
        df.value for df in app.dataframe if list(df.value.columns[: len(columns)]) == list(columns)
    ]
    assert frames, [list(df.value.columns) for df in app.dataframe]
    return frames[0]


def test_region_compares_methods_at_day_one_and_diagnoses_hygiene() -> None:
    app = open_forecast("east")
    assert app.title[0].value == "预测"
    shown = metrics(app)
    assert {label: shown[label] for label in list(shown)[:5]} == {
        "销售自报": "72.0%",
        "管道 × 50%": "35.0%",
        "阶段规则引擎": "30.0%",
        "机器学习模型": "88.0%",
        "模型 + 月内进度": "89.0%",
    }
    assert shown["成交日期空白或非日期"] == "25.0%"
    assert shown["默认 50% 赢率占比"] == "40.0%"
    assert shown["预测 vs 需求文档（平均）"] == "+18.0%"
    assert shown["新人偏差 − 老员工偏差"] == "+34.5个百分点"
    assert shown["回款同步延迟（中位数）"] == "52.5 小时"
    assert shown["误判为高风险的合同"] == "3"
    checks = [m.value for m in app.markdown if "badge" in m.value]
    assert checks[0] == ":orange-badge[需关注] **预计成交日期规范**  \nr-east close_date 发现"
    assert checks[4].startswith(":gray-badge[无数据] **财务回款同步**")
    methods = table(app, "预测方法", "锁定点")
    assert methods["锁定点"].tolist()[:4] == ["1日", "8日", "15日", "22日"]
    assert methods["平均准确率"].tolist()[12:16] == pytest.approx([88.0, 91.0, 94.0, 97.0])
    convergence = app.get("plotly_chart")[0].proto.spec.replace(" ", "")
    assert '"y":[0.88,0.91,0.94,0.97]' in convergence
    scores = table(app, "赢率来源")
    assert scores["赢率来源"].tolist() == ["机器学习模型", "阶段规则引擎"]
    assert scores["Brier 分数"].tolist() == pytest.approx([0.1234, 0.3456])


def test_lock_day_and_month_pick_the_breakdown_rows() -> None:
    app = open_forecast("east")
    assert app.selectbox(key="forecast.period").value == "2026-10"  # latest complete month
    children = table(app, "单元 / 销售")
    assert children["单元 / 销售"].tolist() == ["上海"]
    assert children["准确率"].tolist() == pytest.approx([81.5])
    cohorts = table(app, "司龄", "锁定点")
    assert cohorts["司龄"].tolist()[::4] == ["全部", "新人（< 6 个月）", "老员工（≥ 6 个月）"]
    assert cohorts["准确率"].tolist()[4:8] == pytest.approx([40.0, 44.0, 46.0, 50.0])
    app.segmented_control(key="forecast.lock_day").set_value(8).run()
    assert not app.exception, app.exception
    assert list(metrics(app).values())[:2] == ["74.0%", "55.0%"]
    assert table(app, "单元 / 销售")["准确率"].tolist() == pytest.approx([82.5])
    monthly = table(app, "月份", "预测方法")
    assert monthly["预测金额"].tolist()[:2] == [1000008.0, 2000008.0]
    app.selectbox(key="forecast.period").set_value("2026-11").run()
    assert table(app, "单元 / 销售")["准确率"].tolist() == pytest.approx([72.5])


def test_english_labels_and_values() -> None:
    app = open_forecast("east", "en")
    assert app.title[0].value == "Forecast"
    assert metrics(app)["ML + run-rate"] == "89.0%"
    assert metrics(app)["New − tenured bias"] == "+34.5 pp"
    assert metrics(app)["Payment sync lag (median)"] == "52.5 h"
    checks = [m.value for m in app.markdown if "badge" in m.value]
    assert (
        checks[0]
        == ":orange-badge[Warning] **Expected close date hygiene**  \nr-east close_date finding"
    )
    deals = table(app, "Customer", "Rep")
    assert deals["Stage"].tolist()[0] == "Quote"


def test_a_city_manager_sees_shanghai_rows_only() -> None:
    app = open_forecast("sh")
    assert list(metrics(app).values())[0] == "36.0%"
    assert metrics(app)["成交日期空白或非日期"] == "12.5%"
    customers = [
        customer
        for frame in app.dataframe
        if "客户" in frame.value.columns
        for customer in frame.value["客户"]
    ]
    assert "北京燕山化工有限公司" not in customers
    open_deals = table(app, "客户", "销售", "团队", "阶段", "金额", "模型赢率（已校准）")
    assert open_deals["客户"].tolist() == ["上海申达物流有限公司", "上海浦江机械有限公司"]
    assert open_deals["模型赢率（已校准）"].tolist() == [87.5, 87.5]
    contracts = table(app, "客户", "合同编号")
    assert contracts["合同编号"].tolist() == ["HT-o-2"]


def test_a_rep_sees_only_their_own_rows() -> None:
    app = open_forecast("rep")
    assert not app.metric
    assert [c.value for c in app.caption].count("此部分为团队汇总，仅对经理可见。") == 2
    own = table(app, "司龄", "锁定点")
    assert own["准确率"].tolist() == pytest.approx([91.1] * 4)
    customers = {
        customer
        for frame in app.dataframe
        if "客户" in frame.value.columns
        for customer in frame.value["客户"]
    }
    assert customers == {"上海浦江机械有限公司"}
    assert "单元 / 销售" not in [frame.value.columns[0] for frame in app.dataframe]


def test_a_scope_without_forecast_rows_says_so() -> None:
    app = open_forecast("sh")
    app.sidebar.selectbox(key="scope_unit_id").set_value("t-o'brien").run()
    assert not app.exception, app.exception
    assert set(i.value for i in app.info) == {"该范围内暂无数据。"}
    assert len(app.info) == 6  # every scoped section; the company-wide scores still show
    assert table(app, "赢率来源")["赢率来源"].tolist() == ["机器学习模型", "阶段规则引擎"]
