-- Where each opportunity stands in the funnel as of as_of. One row per opportunity
-- that exists as of as_of (int_opportunities_joined_to_owner_team).
--   furthest_stage_order: furthest canonical stage reached over non-lost entries
--     (won = 6, beyond contract_approval); an opportunity with no entry yet counts as
--     a lead (1).
--   furthest_open_stage_order: the same capped at the open stages (1-5).
--   latest_stage / status_as_of: the latest entry decides open / won / lost — unless that
--     entry is open while the extract in force on as_of says won / lost, closed on or before
--     as_of (at closed_at, else on the extract's day): a closed deal is never shown as open
--     because the history lacks its final entry (status_source = 'extract').
with

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

entries as (

    select * from {{ ref('int_stage_history_sequenced') }}

),

furthest as (

    select
        opportunity_id,
        max(stage_order) as furthest_stage_order,
        max(case when stage_order <= 5 then stage_order end) as furthest_open_stage_order
    from entries
    where stage <> 'lost'
    group by opportunity_id

),

latest as (

    select
        opportunity_id,
        stage as latest_stage,
        entered_at as latest_entered_at
    from entries
    where next_entered_at is null

),

resolved as (

    select
        opportunities.*,
        furthest.furthest_stage_order as history_furthest_stage_order,
        furthest.furthest_open_stage_order as history_furthest_open_stage_order,
        latest.latest_stage as history_latest_stage,
        latest.latest_entered_at as history_latest_entered_at,
        coalesce(latest.latest_stage, 'lead') not in ('won', 'lost')
            and opportunities.extract_status in ('won', 'lost')
            and cast(opportunities.extract_closed_at as date) <= opportunities.as_of
            as is_closed_by_extract
    from opportunities
    left join furthest
        on furthest.opportunity_id = opportunities.opportunity_id
    left join latest
        on latest.opportunity_id = opportunities.opportunity_id

),

positioned as (

    select
        *,
        case
            when is_closed_by_extract then extract_status
            else coalesce(history_latest_stage, 'lead')
        end as latest_stage,
        case
            when is_closed_by_extract then extract_closed_at
            else history_latest_entered_at
        end as latest_entered_at,
        case
            when is_closed_by_extract then 'extract'
            when history_latest_stage is not null then 'stage_history'
            else 'none'
        end as status_source
    from resolved

)

select
    -- ids
    opportunity_id,
    lead_id,
    owner_rep_id,
    team_id,
    -- funnel position
    cast(
        case
            when is_closed_by_extract and extract_status = 'won' then 6
            else coalesce(history_furthest_stage_order, 1)
        end as {{ dbt.type_bigint() }}
    ) as furthest_stage_order,
    cast(coalesce(history_furthest_open_stage_order, 1) as {{ dbt.type_bigint() }}) as furthest_open_stage_order,
    latest_stage,
    case latest_stage
        when 'won' then 'won'
        when 'lost' then 'lost'
        else 'open'
    end as status_as_of,
    cast(status_source as {{ dbt.type_string() }}) as status_source,
    -- timestamps
    created_at,
    latest_entered_at,
    as_of
from positioned
