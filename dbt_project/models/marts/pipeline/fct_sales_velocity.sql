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

velocity_windows as (

    select * from {{ ref('pipeline_velocity_windows') }}

),

entries as (

    select * from {{ ref('int_stage_history_sequenced') }}

),

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

closes as (

    select * from {{ ref('int_opportunity_closes_joined_to_regime') }}

),

-- open at the end of the measurement day in a stage at or beyond qualified: the day's last
-- entry is qualified … contract_approval
open_qualified as (

    select
        closure.ancestor_id as unit_id,
        months.window_start as month_start,
        count(*) as open_qualified_count,
        sum(cast(opportunities.amount as decimal(18, 2))) as open_qualified_amount,
        sum(case when opportunities.amount is null then 1 else 0 end) as open_qualified_without_amount_count
    from months
    inner join entries
        on cast(entries.entered_at as date) <= months.end_date
        and (
            entries.next_entered_at is null
            or cast(entries.next_entered_at as date) > months.end_date
        )
    inner join opportunities
        on opportunities.opportunity_id = entries.opportunity_id
    inner join closure
        on closure.descendant_id = opportunities.team_id
    -- a deal closed per the extract while its history lacks the won / lost entry
    left join closes
        on closes.opportunity_id = entries.opportunity_id
        and closes.closed_on <= months.end_date
    where entries.stage_order between 2 and 5
        and closes.opportunity_id is null
    group by closure.ancestor_id, months.window_start

),

trailing_closes as (

    select
        closure.ancestor_id as unit_id,
        months.window_start as month_start,
        velocity_windows.trailing_days,
        sum(case when closes.outcome = 'won' then 1 else 0 end) as won_count,
        sum(case when closes.outcome = 'lost' then 1 else 0 end) as lost_count,
        sum(case when closes.outcome = 'won' then closes.amount else 0 end) as won_amount,
        sum(case when closes.outcome = 'won' and closes.amount is not null then 1 else 0 end) as won_with_amount_count,
        sum(case when closes.outcome = 'won' then closes.cycle_days else 0 end) as won_cycle_days,
        sum(case when closes.outcome = 'won' and closes.cycle_days is not null then 1 else 0 end) as won_with_cycle_count
    from months
    cross join velocity_windows
    inner join closes
        on closes.closed_on <= months.end_date
        and closes.closed_on > {{ dbt.dateadd('day', '-velocity_windows.trailing_days', 'months.end_date') }}
    inner join closure
        on closure.descendant_id = closes.team_id
    group by closure.ancestor_id, months.window_start, velocity_windows.trailing_days

),

components as (

    select
        as_of.as_of,
        org_units.unit_id,
        org_units.level as unit_level,
        months.window_start as month_start,
        months.end_date as measured_on,
        months.is_partial,
        velocity_windows.trailing_days,
        cast({{ dbt.dateadd('day', '1 - velocity_windows.trailing_days', 'months.end_date') }} as date) as trailing_start_on,
        coalesce(open_qualified.open_qualified_count, 0) as open_qualified_count,
        coalesce(open_qualified.open_qualified_amount, 0) as open_qualified_amount,
        coalesce(open_qualified.open_qualified_without_amount_count, 0) as open_qualified_without_amount_count,
        coalesce(trailing_closes.won_count, 0) as won_count,
        coalesce(trailing_closes.lost_count, 0) as lost_count,
        coalesce(trailing_closes.won_amount, 0) as won_amount,
        coalesce(trailing_closes.won_count, 0) - coalesce(trailing_closes.won_with_amount_count, 0)
            as won_without_amount_count,
        -- over the wins whose amount is known (an unknown amount is not 0 yuan)
        case
            when trailing_closes.won_with_amount_count > 0
                then cast(trailing_closes.won_amount as {{ type_double() }}) / trailing_closes.won_with_amount_count
        end as avg_won_amount,
        case
            when trailing_closes.won_count + trailing_closes.lost_count > 0
                then cast(trailing_closes.won_count as {{ type_double() }}) / (trailing_closes.won_count + trailing_closes.lost_count)
        end as win_rate_count,
        -- over the wins whose created date is known
        case
            when trailing_closes.won_with_cycle_count > 0
                then cast(trailing_closes.won_cycle_days as {{ type_double() }}) / trailing_closes.won_with_cycle_count
        end as avg_cycle_days
    from org_units
    cross join months
    cross join velocity_windows
    cross join as_of
    left join open_qualified
        on open_qualified.unit_id = org_units.unit_id
        and open_qualified.month_start = months.window_start
    left join trailing_closes
        on trailing_closes.unit_id = org_units.unit_id
        and trailing_closes.month_start = months.window_start
        and trailing_closes.trailing_days = velocity_windows.trailing_days
    where {{ mart_is_available('fct_sales_velocity') }}

)

select
    -- grain
    cast(as_of as date) as as_of,
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('components.unit_id') }} as unit_name,
    cast(unit_level as {{ dbt.type_string() }}) as unit_level,
    cast(month_start as date) as month_start,
    cast(measured_on as date) as measured_on,
    is_partial,
    cast(trailing_days as {{ dbt.type_bigint() }}) as trailing_days,
    cast(trailing_start_on as date) as trailing_start_on,
    -- open qualified pipeline on the measurement day
    cast(open_qualified_count as {{ dbt.type_bigint() }}) as open_qualified_count,
    cast(open_qualified_amount as decimal(18, 2)) as open_qualified_amount,
    cast(open_qualified_without_amount_count as {{ dbt.type_bigint() }}) as open_qualified_without_amount_count,
    -- closes over the trailing window
    cast(won_count as {{ dbt.type_bigint() }}) as won_count,
    cast(lost_count as {{ dbt.type_bigint() }}) as lost_count,
    cast(won_amount as decimal(18, 2)) as won_amount,
    cast(won_without_amount_count as {{ dbt.type_bigint() }}) as won_without_amount_count,
    cast(avg_won_amount as {{ type_double() }}) as avg_won_amount,
    cast(win_rate_count as {{ type_double() }}) as win_rate_count,
    cast(avg_cycle_days as {{ type_double() }}) as avg_cycle_days,
    -- velocity (yuan per day)
    cast(
        case
            when avg_cycle_days > 0
                then open_qualified_count * avg_won_amount * win_rate_count / avg_cycle_days
        end
        as {{ type_double() }}
    ) as sales_velocity
from components
