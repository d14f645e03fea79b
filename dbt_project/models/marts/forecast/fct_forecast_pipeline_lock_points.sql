-- What each forecasting method starts from, per rep, month and lock point 锁定日预测基础 (SPEC
-- §6 backtest): the rep's own forecast at the lock, the bookings signed in the month by the
-- end of the lock day, and the rep's open pipeline on the lock day whose expected close date
-- falls in the month, weighted at the flat default probability and by the rules engine of
-- that day. The forecasting asset adds the model-based parts; fct_forecast_backtest scores
-- every method against the month's bookings.
with

rep_locks as (

    select * from {{ ref('int_forecast_lock_points_scored') }}

),

scoring as (

    select * from {{ ref('fct_opportunity_scoring_days') }}

),

bookings as (

    select * from {{ ref('int_bookings_credited') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

settings as (

    select
        max(case when parameter = 'default_probability' then value end) as default_probability,
        cast(max(case when parameter = 'new_rep_tenure_months' then value end) as integer)
            as new_rep_tenure_months
    from {{ ref('forecast_settings') }}

),

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

pipeline as (

    select
        scoring.owner_rep_id as rep_id,
        scoring.period,
        scoring.lock_day,
        count(*) as open_opportunities,
        sum(scoring.amount) as open_amount,
        sum(case when scoring.expected_close_on < {{ dbt.dateadd('month', 1, dbt.date_trunc('month', 'scoring.scored_on')) }}
            and scoring.expected_close_on >= {{ dbt.date_trunc('month', 'scoring.scored_on') }}
            then scoring.amount else 0 end) as closing_in_period_amount,
        sum(case when scoring.expected_close_on < {{ dbt.dateadd('month', 1, dbt.date_trunc('month', 'scoring.scored_on')) }}
            and scoring.expected_close_on >= {{ dbt.date_trunc('month', 'scoring.scored_on') }}
            then scoring.amount * scoring.rule_probability else 0 end) as rules_weighted_amount
    from scoring
    where scoring.lock_day is not null
        and scoring.owner_rep_id is not null
    group by scoring.owner_rep_id, scoring.period, scoring.lock_day

),

keys as (

    select rep_id, period, lock_day from rep_locks
    union
    select rep_id, period, lock_day from pipeline

),

booked_to_date as (

    select
        keys.rep_id,
        keys.period,
        keys.lock_day,
        sum(bookings.amount) as booked_to_date
    from keys
    inner join bookings
        on bookings.rep_id = keys.rep_id
        and bookings.period = keys.period
        and bookings.signed_on <= {{ dbt.dateadd('day', 'keys.lock_day - 1', "cast(keys.period || '-01' as date)") }}
    group by keys.rep_id, keys.period, keys.lock_day

),

booked as (

    select rep_id, period, sum(amount) as booked_amount
    from bookings
    where rep_id is not null
    group by rep_id, period

)

select
    -- keys
    keys.rep_id,
    reps.team_id,
    keys.period,
    cast(keys.period || '-01' as date) as period_start,
    cast(keys.lock_day as {{ dbt.type_bigint() }}) as lock_day,
    cast({{ dbt.dateadd('day', 'keys.lock_day - 1', "cast(keys.period || '-01' as date)") }} as date) as lock_date,
    cast(
        {{ forecast_tenure_cohort('reps.hire_date', "cast(keys.period || '-01' as date)", 'settings.new_rep_tenure_months') }}
        as {{ dbt.type_string() }}
    ) as tenure_cohort,
    cast({{ dbt.dateadd('month', 1, "cast(keys.period || '-01' as date)") }} as date)
        <= {{ dbt.dateadd('day', 1, 'as_of.as_of') }} as is_period_complete,
    -- the rep's own forecast at the lock
    coalesce(rep_locks.has_forecast, false) as has_forecast,
    cast(rep_locks.forecast_amount as {{ type_double() }}) as submitted_forecast,
    -- bookings (yuan)
    cast(coalesce(booked_to_date.booked_to_date, 0) as {{ type_double() }}) as booked_to_date,
    cast(coalesce(booked.booked_amount, 0) as {{ type_double() }}) as booked_amount,
    -- open pipeline on the lock day (yuan)
    cast(coalesce(pipeline.open_opportunities, 0) as {{ dbt.type_bigint() }}) as open_opportunities,
    cast(coalesce(pipeline.open_amount, 0) as {{ type_double() }}) as open_amount,
    cast(coalesce(pipeline.closing_in_period_amount, 0) as {{ type_double() }}) as closing_in_period_amount,
    cast(coalesce(pipeline.closing_in_period_amount, 0) * settings.default_probability as {{ type_double() }})
        as flat_weighted_amount,
    cast(coalesce(pipeline.rules_weighted_amount, 0) as {{ type_double() }}) as rules_weighted_amount,
    as_of.as_of
from keys
cross join settings
cross join as_of
left join reps
    on reps.rep_id = keys.rep_id
left join rep_locks
    on rep_locks.rep_id = keys.rep_id
    and rep_locks.period = keys.period
    and rep_locks.lock_day = keys.lock_day
left join pipeline
    on pipeline.rep_id = keys.rep_id
    and pipeline.period = keys.period
    and pipeline.lock_day = keys.lock_day
left join booked_to_date
    on booked_to_date.rep_id = keys.rep_id
    and booked_to_date.period = keys.period
    and booked_to_date.lock_day = keys.lock_day
left join booked
    on booked.rep_id = keys.rep_id
    and booked.period = keys.period
where {{ mart_is_available('fct_forecast_pipeline_lock_points') }}
