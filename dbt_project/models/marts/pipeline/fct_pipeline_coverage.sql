with

as_of as (

    select * from {{ ref('int_as_of_resolved') }}

),

org_units as (

    select * from {{ ref('int_org_units_resolved') }}

),

closure as (

    select * from {{ ref('int_org_units_closure') }}

),

months as (

    select * from {{ ref('int_pipeline_windows') }}
    where window_grain = 'month'

),

snapshot as (

    select * from {{ ref('fct_opportunity_daily_snapshot') }}

),

targets as (

    select * from {{ ref('stg_crm__targets') }}

),

bookings as (

    select * from {{ ref('int_bookings_credited') }}

),

reps as (

    select * from {{ ref('stg_crm__reps') }}

),

-- each period is measured at its opening (the day before its first day: nothing booked
-- yet) and, for the period containing as_of, on as_of itself
measurements as (

    select
        months.window_start as period_start,
        months.window_end as period_end,
        cast(substring(cast(months.window_start as {{ dbt.type_string() }}), 1, 7) as {{ dbt.type_string() }}) as period,
        'period_start' as measurement_point,
        months.start_date as measured_on
    from months

    union all

    select
        months.window_start as period_start,
        months.window_end as period_end,
        cast(substring(cast(months.window_start as {{ dbt.type_string() }}), 1, 7) as {{ dbt.type_string() }}) as period,
        'as_of' as measurement_point,
        months.as_of as measured_on
    from months
    where months.as_of between months.window_start and months.window_end

),

open_rows as (

    select
        measurements.period,
        measurements.measurement_point,
        snapshot.owner_rep_id,
        snapshot.team_id,
        -- an unknown amount adds nothing to the amounts; the deal is counted apart
        cast(coalesce(snapshot.amount, 0) as decimal(18, 2)) as amount,
        snapshot.amount is null as is_without_amount,
        coalesce(snapshot.probability, 0) as probability,
        snapshot.expected_close_on between measurements.period_start and measurements.period_end as closes_in_period,
        snapshot.expected_close_on is null as is_undated,
        coalesce({{ stage_order('snapshot.stage') }}, 0) >= 3 as is_quote_or_later
    from measurements
    inner join snapshot
        on snapshot.snapshot_date = measurements.measured_on
    where snapshot.is_open

),

-- a rep's own pipeline, and a unit's through its teams
scoped_rows as (

    select
        'rep' as scope_type,
        owner_rep_id as scope_id,
        open_rows.*
    from open_rows
    where owner_rep_id is not null

    union all

    select
        'unit' as scope_type,
        closure.ancestor_id as scope_id,
        open_rows.*
    from open_rows
    inner join closure
        on closure.descendant_id = open_rows.team_id

),

pipeline as (

    select
        scope_type,
        scope_id,
        period,
        measurement_point,
        sum(case when closes_in_period then 1 else 0 end) as open_pipeline_count,
        sum(case when closes_in_period then amount else 0 end) as open_pipeline_amount,
        sum(case when closes_in_period and is_without_amount then 1 else 0 end) as open_pipeline_without_amount_count,
        sum(case when closes_in_period and is_quote_or_later then 1 else 0 end) as quote_plus_pipeline_count,
        sum(case when closes_in_period and is_quote_or_later then amount else 0 end) as quote_plus_pipeline_amount,
        sum(case when closes_in_period then amount * probability else 0 end) as weighted_pipeline_amount,
        sum(case when is_undated then 1 else 0 end) as undated_open_count,
        sum(case when is_undated then amount else 0 end) as undated_open_amount
    from scoped_rows
    group by scope_type, scope_id, period, measurement_point

),

scope_targets as (

    select
        case when kind = 'committed' then 'rep' else 'unit' end as scope_type,
        unit_id as scope_id,
        period,
        sum(amount) as target_amount
    from targets
    where (kind = 'assigned' and level <> 'rep')
        or (kind = 'committed' and level = 'rep')
    group by case when kind = 'committed' then 'rep' else 'unit' end, unit_id, period

),

scoped_bookings as (

    select
        'rep' as scope_type,
        bookings.rep_id as scope_id,
        bookings.period,
        bookings.signed_on,
        bookings.amount
    from bookings
    where bookings.rep_id is not null

    union all

    select
        'unit' as scope_type,
        closure.ancestor_id as scope_id,
        bookings.period,
        bookings.signed_on,
        bookings.amount
    from bookings
    inner join closure
        on closure.descendant_id = bookings.team_id

),

bookings_to_date as (

    select
        scoped_bookings.scope_type,
        scoped_bookings.scope_id,
        measurements.period,
        measurements.measurement_point,
        sum(scoped_bookings.amount) as bookings_to_date
    from measurements
    inner join scoped_bookings
        on scoped_bookings.period = measurements.period
        and scoped_bookings.signed_on <= measurements.measured_on
    group by
        scoped_bookings.scope_type,
        scoped_bookings.scope_id,
        measurements.period,
        measurements.measurement_point

),

-- every unit in every period; a rep in a period where it has a committed target or an
-- open deal on the measurement day
scopes as (

    select
        'unit' as scope_type,
        org_units.unit_id as scope_id,
        org_units.level as scope_level,
        measurements.period,
        measurements.measurement_point
    from org_units
    cross join measurements

    union

    select
        'rep' as scope_type,
        scope_id,
        'rep' as scope_level,
        period,
        measurement_point
    from pipeline
    where scope_type = 'rep'

    union

    select
        'rep' as scope_type,
        scope_targets.scope_id,
        'rep' as scope_level,
        measurements.period,
        measurements.measurement_point
    from scope_targets
    inner join measurements
        on measurements.period = scope_targets.period
    where scope_targets.scope_type = 'rep'

),

assembled as (

    select
        as_of.as_of,
        scopes.scope_type,
        scopes.scope_id,
        scopes.scope_level,
        case when scopes.scope_type = 'rep' then reps.team_id end as rep_team_id,
        scopes.period,
        measurements.period_start,
        measurements.period_end,
        scopes.measurement_point,
        measurements.measured_on,
        case when scopes.scope_type = 'rep' then 'committed' else 'assigned' end as target_kind,
        scope_targets.target_amount,
        coalesce(bookings_to_date.bookings_to_date, 0) as bookings_to_date,
        scope_targets.target_amount - coalesce(bookings_to_date.bookings_to_date, 0) as remaining_target,
        coalesce(pipeline.open_pipeline_count, 0) as open_pipeline_count,
        coalesce(pipeline.open_pipeline_amount, 0) as open_pipeline_amount,
        coalesce(pipeline.open_pipeline_without_amount_count, 0) as open_pipeline_without_amount_count,
        coalesce(pipeline.quote_plus_pipeline_count, 0) as quote_plus_pipeline_count,
        coalesce(pipeline.quote_plus_pipeline_amount, 0) as quote_plus_pipeline_amount,
        coalesce(pipeline.weighted_pipeline_amount, 0) as weighted_pipeline_amount,
        coalesce(pipeline.undated_open_count, 0) as undated_open_count,
        coalesce(pipeline.undated_open_amount, 0) as undated_open_amount
    from scopes
    inner join measurements
        on measurements.period = scopes.period
        and measurements.measurement_point = scopes.measurement_point
    cross join as_of
    left join reps
        on scopes.scope_type = 'rep'
        and reps.rep_id = scopes.scope_id
    left join scope_targets
        on scope_targets.scope_type = scopes.scope_type
        and scope_targets.scope_id = scopes.scope_id
        and scope_targets.period = scopes.period
    left join bookings_to_date
        on bookings_to_date.scope_type = scopes.scope_type
        and bookings_to_date.scope_id = scopes.scope_id
        and bookings_to_date.period = scopes.period
        and bookings_to_date.measurement_point = scopes.measurement_point
    left join pipeline
        on pipeline.scope_type = scopes.scope_type
        and pipeline.scope_id = scopes.scope_id
        and pipeline.period = scopes.period
        and pipeline.measurement_point = scopes.measurement_point
    where {{ mart_is_available('fct_pipeline_coverage') }}

)

select
    -- grain
    cast(as_of as date) as as_of,
    cast(scope_type as {{ dbt.type_string() }}) as scope_type,
    cast(case when scope_type = 'unit' then scope_id else rep_team_id end as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name("case when assembled.scope_type = 'unit' then assembled.scope_id else assembled.rep_team_id end") }} as unit_name,
    cast(case when scope_type = 'rep' then scope_id end as {{ dbt.type_string() }}) as rep_id,
    cast(scope_level as {{ dbt.type_string() }}) as scope_level,
    cast(period as {{ dbt.type_string() }}) as period,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    cast(measurement_point as {{ dbt.type_string() }}) as measurement_point,
    cast(measured_on as date) as measured_on,
    -- target and bookings
    cast(target_kind as {{ dbt.type_string() }}) as target_kind,
    cast(target_amount as decimal(18, 2)) as target_amount,
    cast(bookings_to_date as decimal(18, 2)) as bookings_to_date,
    cast(remaining_target as decimal(18, 2)) as remaining_target,
    -- open pipeline expected to close in the period
    cast(open_pipeline_count as {{ dbt.type_bigint() }}) as open_pipeline_count,
    cast(open_pipeline_amount as decimal(18, 2)) as open_pipeline_amount,
    cast(open_pipeline_without_amount_count as {{ dbt.type_bigint() }}) as open_pipeline_without_amount_count,
    cast(quote_plus_pipeline_count as {{ dbt.type_bigint() }}) as quote_plus_pipeline_count,
    cast(quote_plus_pipeline_amount as decimal(18, 2)) as quote_plus_pipeline_amount,
    cast(weighted_pipeline_amount as decimal(18, 2)) as weighted_pipeline_amount,
    cast(undated_open_count as {{ dbt.type_bigint() }}) as undated_open_count,
    cast(undated_open_amount as decimal(18, 2)) as undated_open_amount,
    -- coverage (empty when no target or nothing left to cover)
    cast(case when remaining_target > 0 then open_pipeline_amount / remaining_target end as {{ type_double() }}) as coverage,
    cast(case when remaining_target > 0 then quote_plus_pipeline_amount / remaining_target end as {{ type_double() }}) as coverage_quote_plus,
    cast(case when remaining_target > 0 then weighted_pipeline_amount / remaining_target end as {{ type_double() }}) as coverage_weighted
from assembled
