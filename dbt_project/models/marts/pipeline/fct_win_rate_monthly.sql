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

closes as (

    select * from {{ ref('int_opportunity_closes_joined_to_regime') }}

),

outcomes as (

    select
        closure.ancestor_id as unit_id,
        closes.close_month_start as month_start,
        {%- for regime in ['', 'traditional', 'structured'] %}
        {%- set prefix = regime ~ '_' if regime else '' %}
        {%- set only = "closes.process_regime = '" ~ regime ~ "' and " if regime else '' %}
        sum(case when {{ only }}closes.outcome = 'won' then 1 else 0 end) as {{ prefix }}won_count,
        sum(case when {{ only }}closes.outcome = 'lost' then 1 else 0 end) as {{ prefix }}lost_count,
        sum(case when {{ only }}closes.outcome = 'won' then closes.amount else 0 end) as {{ prefix }}won_amount,
        sum(case when {{ only }}closes.outcome = 'lost' then closes.amount else 0 end) as {{ prefix }}lost_amount,
        {%- endfor %}
        -- closes whose amount is unknown: left out of the amounts and the amount rate
        sum(case when closes.outcome = 'won' and closes.amount is null then 1 else 0 end) as won_without_amount_count,
        sum(case when closes.outcome = 'lost' and closes.amount is null then 1 else 0 end) as lost_without_amount_count
    from closes
    inner join closure
        on closure.descendant_id = closes.team_id
    group by closure.ancestor_id, closes.close_month_start

),

final as (

    select
        as_of.as_of,
        org_units.unit_id,
        org_units.level as unit_level,
        months.window_start as month_start,
        months.end_date,
        months.is_partial,
        {%- for regime in ['', 'traditional', 'structured'] %}
        {%- set prefix = regime ~ '_' if regime else '' %}
        coalesce(outcomes.{{ prefix }}won_count, 0) as {{ prefix }}won_count,
        coalesce(outcomes.{{ prefix }}lost_count, 0) as {{ prefix }}lost_count,
        coalesce(outcomes.{{ prefix }}won_amount, 0) as {{ prefix }}won_amount,
        coalesce(outcomes.{{ prefix }}lost_amount, 0) as {{ prefix }}lost_amount,
        case
            when outcomes.{{ prefix }}won_count + outcomes.{{ prefix }}lost_count > 0
                then cast(outcomes.{{ prefix }}won_count as {{ type_double() }})
                    / (outcomes.{{ prefix }}won_count + outcomes.{{ prefix }}lost_count)
        end as {{ prefix }}win_rate_count,
        case
            when outcomes.{{ prefix }}won_amount + outcomes.{{ prefix }}lost_amount > 0
                then cast(outcomes.{{ prefix }}won_amount as {{ type_double() }})
                    / (outcomes.{{ prefix }}won_amount + outcomes.{{ prefix }}lost_amount)
        end as {{ prefix }}win_rate_amount,
        {%- endfor %}
        coalesce(outcomes.won_without_amount_count, 0) as won_without_amount_count,
        coalesce(outcomes.lost_without_amount_count, 0) as lost_without_amount_count
    from org_units
    cross join months
    cross join as_of
    left join outcomes
        on outcomes.unit_id = org_units.unit_id
        and outcomes.month_start = months.window_start
    where {{ mart_is_available('fct_win_rate_monthly') }}

)

select
    -- grain
    cast(as_of as date) as as_of,
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('final.unit_id') }} as unit_name,
    cast(unit_level as {{ dbt.type_string() }}) as unit_level,
    cast(month_start as date) as month_start,
    cast(substring(cast(month_start as {{ dbt.type_string() }}), 1, 7) as {{ dbt.type_string() }}) as period,
    cast(end_date as date) as closed_through,
    is_partial,
    {%- for regime in ['', 'traditional', 'structured'] %}
    {%- set prefix = regime ~ '_' if regime else '' %}
    -- {{ regime or 'all' }} opportunities
    cast({{ prefix }}won_count as {{ dbt.type_bigint() }}) as {{ prefix }}won_count,
    cast({{ prefix }}lost_count as {{ dbt.type_bigint() }}) as {{ prefix }}lost_count,
    cast({{ prefix }}won_amount as decimal(18, 2)) as {{ prefix }}won_amount,
    cast({{ prefix }}lost_amount as decimal(18, 2)) as {{ prefix }}lost_amount,
    cast({{ prefix }}win_rate_count as {{ type_double() }}) as {{ prefix }}win_rate_count,
    cast({{ prefix }}win_rate_amount as {{ type_double() }}) as {{ prefix }}win_rate_amount,
    {%- endfor %}
    -- closes without a known amount (in the counts, not in the amounts)
    cast(won_without_amount_count as {{ dbt.type_bigint() }}) as won_without_amount_count,
    cast(lost_without_amount_count as {{ dbt.type_bigint() }}) as lost_without_amount_count
from final
