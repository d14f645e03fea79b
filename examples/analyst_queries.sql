-- Three questions an analyst asks of the published snapshot (warehouse/salesops.duckdb).
-- 分析师常用的三个查询：在已发布的只读快照上运行。
-- Run them from Python, a notebook or a DuckDB CLI of the same major version (README,
-- "Analysts: reading the snapshot"); tests/examples/test_analyst_queries.py runs each one.

-- name: attainment_by_region_latest_month
-- 最近一个月各大区的目标达成率 This month's attainment per region (the latest month in the
-- snapshot; is_period_complete says whether the month has ended).
select
    period,
    unit_name as region,
    assigned_target,
    bookings,
    round(attainment, 3) as attainment,
    is_period_complete
from marts.fct_attainment_unit_month
where unit_level = 'region'
    and period = (select max(period) from marts.fct_attainment_unit_month)
order by attainment desc;

-- name: forecast_accuracy_by_lock_day
-- 各锁定日的预测准确度 Forecast accuracy by lock day, company-wide (all tenure cohorts), the
-- mean of the completed months' accuracy: how much does a later lock day buy?
select
    lock_day,
    count(*) as months,
    round(avg(forecast_accuracy), 3) as mean_accuracy,
    round(avg(forecast_bias), 3) as mean_bias
from marts.fct_forecast_accuracy
where scope_level = 'hq'
    and tenure_cohort = 'all'
    and is_period_complete
group by lock_day
order by lock_day;

-- name: reactivation_pool_by_city
-- 各城市待激活线索池 The 待激活 pool per city: visits whose nodes stay incomplete past the
-- threshold, with the oldest one's age.
select
    city.name as city,
    count(*) as leads_to_reactivate,
    count(distinct pool.owner_rep_id) as reps,
    max(pool.days_incomplete) as oldest_days_incomplete
from marts.fct_reactivation_pool as pool
inner join marts.dim_org_units as team
    on pool.team_id = team.unit_id
inner join marts.dim_org_units as city
    on team.parent_id = city.unit_id
group by city.name
order by leads_to_reactivate desc;
