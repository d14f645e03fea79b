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

windows as (

    select * from {{ ref('int_pipeline_windows') }}

),

snapshot as (

    select * from {{ ref('fct_opportunity_daily_snapshot') }}

),

movements as (

    select * from {{ ref('int_pipeline_movements_classified') }}

),

views as (

    select cast('all_open' as {{ dbt.type_string() }}) as pipeline_view
    union all
    select cast('close_this_month' as {{ dbt.type_string() }}) as pipeline_view
    union all
    select cast('close_next_month' as {{ dbt.type_string() }}) as pipeline_view

),

pieces as (

    select
        window_grain,
        window_start,
        pipeline_view,
        unit_id,
        -- ways in
        sum(case when entry_category = 'start' then 1 else 0 end) as start_count,
        sum(case when entry_category = 'start' then entry_amount else 0 end) as start_amount,
        sum(case when entry_category = 'new' then 1 else 0 end) as new_count,
        sum(case when entry_category = 'new' then entry_amount else 0 end) as new_amount,
        sum(case when entry_category = 'pulled_in' then 1 else 0 end) as pulled_in_count,
        sum(case when entry_category = 'pulled_in' then entry_amount else 0 end) as pulled_in_amount,
        sum(case when entry_category = 'owner_in' then 1 else 0 end) as owner_in_count,
        sum(case when entry_category = 'owner_in' then entry_amount else 0 end) as owner_in_amount,
        -- amount changes of the deals in at the start
        sum(case when amount_change > 0 then 1 else 0 end) as amount_up_count,
        sum(case when amount_change > 0 then amount_change else 0 end) as amount_up,
        sum(case when amount_change < 0 then 1 else 0 end) as amount_down_count,
        sum(case when amount_change < 0 then -amount_change else 0 end) as amount_down,
        -- ways out
        sum(case when exit_category = 'won' then 1 else 0 end) as won_count,
        sum(case when exit_category = 'won' then exit_amount else 0 end) as won_amount,
        sum(case when exit_category = 'lost' then 1 else 0 end) as lost_count,
        sum(case when exit_category = 'lost' then exit_amount else 0 end) as lost_amount,
        sum(case when exit_category = 'pushed_out' then 1 else 0 end) as pushed_out_count,
        sum(case when exit_category = 'pushed_out' then exit_amount else 0 end) as pushed_out_amount,
        sum(case when exit_category = 'owner_out' then 1 else 0 end) as owner_out_count,
        sum(case when exit_category = 'owner_out' then exit_amount else 0 end) as owner_out_amount,
        sum(case when exit_category = 'end' then 1 else 0 end) as end_count,
        sum(case when exit_category = 'end' then exit_amount else 0 end) as end_amount
    from movements
    group by window_grain, window_start, pipeline_view, unit_id

),

-- open deals at the end that no close window can hold: no usable expected close date
undated_at_end as (

    select
        windows.window_grain,
        windows.window_start,
        closure.ancestor_id as unit_id,
        count(*) as undated_open_count,
        sum(cast(coalesce(snapshot.amount, 0) as decimal(18, 2))) as undated_open_amount
    from windows
    inner join snapshot
        on snapshot.snapshot_date = windows.end_date
    inner join closure
        on closure.descendant_id = snapshot.team_id
    where snapshot.is_open
        and snapshot.expected_close_on is null
    group by windows.window_grain, windows.window_start, closure.ancestor_id

),

final as (

    select
        as_of.as_of,
        windows.window_grain,
        windows.window_start,
        windows.window_end,
        windows.start_date,
        windows.end_date,
        windows.is_partial,
        views.pipeline_view,
        case views.pipeline_view
            when 'close_this_month' then windows.this_month_start
            when 'close_next_month' then windows.next_month_start
        end as close_window_start,
        case views.pipeline_view
            when 'close_this_month' then windows.this_month_end
            when 'close_next_month' then windows.next_month_end
        end as close_window_end,
        org_units.unit_id,
        org_units.level as unit_level,
        coalesce(pieces.start_count, 0) as start_count,
        coalesce(pieces.start_amount, 0) as start_amount,
        coalesce(pieces.new_count, 0) as new_count,
        coalesce(pieces.new_amount, 0) as new_amount,
        coalesce(pieces.pulled_in_count, 0) as pulled_in_count,
        coalesce(pieces.pulled_in_amount, 0) as pulled_in_amount,
        coalesce(pieces.amount_up_count, 0) as amount_up_count,
        coalesce(pieces.amount_up, 0) as amount_up,
        coalesce(pieces.amount_down_count, 0) as amount_down_count,
        coalesce(pieces.amount_down, 0) as amount_down,
        coalesce(pieces.pushed_out_count, 0) as pushed_out_count,
        coalesce(pieces.pushed_out_amount, 0) as pushed_out_amount,
        coalesce(pieces.won_count, 0) as won_count,
        coalesce(pieces.won_amount, 0) as won_amount,
        coalesce(pieces.lost_count, 0) as lost_count,
        coalesce(pieces.lost_amount, 0) as lost_amount,
        coalesce(pieces.owner_in_count, 0) as owner_in_count,
        coalesce(pieces.owner_in_amount, 0) as owner_in_amount,
        coalesce(pieces.owner_out_count, 0) as owner_out_count,
        coalesce(pieces.owner_out_amount, 0) as owner_out_amount,
        coalesce(pieces.end_count, 0) as end_count,
        coalesce(pieces.end_amount, 0) as end_amount,
        coalesce(undated_at_end.undated_open_count, 0) as undated_open_count,
        coalesce(undated_at_end.undated_open_amount, 0) as undated_open_amount
    from windows
    cross join views
    cross join org_units
    cross join as_of
    left join pieces
        on pieces.window_grain = windows.window_grain
        and pieces.window_start = windows.window_start
        and pieces.pipeline_view = views.pipeline_view
        and pieces.unit_id = org_units.unit_id
    left join undated_at_end
        on undated_at_end.window_grain = windows.window_grain
        and undated_at_end.window_start = windows.window_start
        and undated_at_end.unit_id = org_units.unit_id
    where {{ mart_is_available('fct_pipeline_movement') }}

)

select
    -- grain
    cast(as_of as date) as as_of,
    cast(window_grain as {{ dbt.type_string() }}) as window_grain,
    cast(window_start as date) as window_start,
    cast(window_end as date) as window_end,
    cast(start_date as date) as start_date,
    cast(end_date as date) as end_date,
    is_partial,
    cast(pipeline_view as {{ dbt.type_string() }}) as pipeline_view,
    cast(close_window_start as date) as close_window_start,
    cast(close_window_end as date) as close_window_end,
    cast(unit_id as {{ dbt.type_string() }}) as unit_id,
    {{ org_unit_name('final.unit_id') }} as unit_name,
    cast(unit_level as {{ dbt.type_string() }}) as unit_level,
    -- start
    cast(start_count as {{ dbt.type_bigint() }}) as start_count,
    cast(start_amount as decimal(18, 2)) as start_amount,
    -- ways in
    cast(new_count as {{ dbt.type_bigint() }}) as new_count,
    cast(new_amount as decimal(18, 2)) as new_amount,
    cast(pulled_in_count as {{ dbt.type_bigint() }}) as pulled_in_count,
    cast(pulled_in_amount as decimal(18, 2)) as pulled_in_amount,
    cast(amount_up_count as {{ dbt.type_bigint() }}) as amount_up_count,
    cast(amount_up as decimal(18, 2)) as amount_up,
    cast(amount_down_count as {{ dbt.type_bigint() }}) as amount_down_count,
    cast(amount_down as decimal(18, 2)) as amount_down,
    -- ways out
    cast(pushed_out_count as {{ dbt.type_bigint() }}) as pushed_out_count,
    cast(pushed_out_amount as decimal(18, 2)) as pushed_out_amount,
    cast(won_count as {{ dbt.type_bigint() }}) as won_count,
    cast(won_amount as decimal(18, 2)) as won_amount,
    cast(lost_count as {{ dbt.type_bigint() }}) as lost_count,
    cast(lost_amount as decimal(18, 2)) as lost_amount,
    -- owner moves
    cast(owner_in_count as {{ dbt.type_bigint() }}) as owner_in_count,
    cast(owner_in_amount as decimal(18, 2)) as owner_in_amount,
    cast(owner_out_count as {{ dbt.type_bigint() }}) as owner_out_count,
    cast(owner_out_amount as decimal(18, 2)) as owner_out_amount,
    -- end
    cast(end_count as {{ dbt.type_bigint() }}) as end_count,
    cast(end_amount as decimal(18, 2)) as end_amount,
    -- context: open at the end without a usable expected close date
    cast(undated_open_count as {{ dbt.type_bigint() }}) as undated_open_count,
    cast(undated_open_amount as decimal(18, 2)) as undated_open_amount
from final
