-- Opportunities lost as of as_of (latest stage-history entry on or before as_of is
-- `lost`), with the stated reason, the owner's team, the month lost and the team's
-- process regime when the opportunity was created. One row per lost opportunity.
-- The stated reason is the one of the extract in force on as_of when that extract already
-- says lost (snapshot/int_opportunity_values_spanned_by_day: a deal reopened and lost again
-- later for another reason keeps the reason stated then); else (lost since that extract, or
-- no dated extract) the latest extract's, the best record of a reason entered at the loss.
with

windows as (

    select * from {{ ref('int_opportunities_with_evidence_window') }}
    where status_as_of = 'lost'

),

opportunities as (

    select * from {{ ref('int_opportunities_joined_to_owner_team') }}

),

latest_extract as (

    select * from {{ ref('stg_crm__opportunities') }}

),

value_spans as (

    select * from {{ ref('int_opportunity_values_spanned_by_day') }}

),

values_as_of as (

    select value_spans.*
    from value_spans
    inner join windows
        on windows.opportunity_id = value_spans.opportunity_id
    where (value_spans.span_start_on is null or value_spans.span_start_on <= windows.as_of)
        and (value_spans.span_end_before is null or windows.as_of < value_spans.span_end_before)

),

stated as (

    select
        latest_extract.opportunity_id,
        case
            when values_as_of.status = 'lost' then values_as_of.loss_reason_code
            else latest_extract.loss_reason_code
        end as loss_reason_code,
        case
            when values_as_of.status = 'lost' then values_as_of.loss_reason_text
            else latest_extract.loss_reason_text
        end as loss_reason_text
    from latest_extract
    left join values_as_of
        on values_as_of.opportunity_id = latest_extract.opportunity_id

),

regime as (

    select * from {{ ref('int_org_units_regime') }}

)

select
    -- ids
    opportunities.opportunity_id,
    opportunities.owner_rep_id,
    opportunities.team_id,
    -- stated reason
    stated.loss_reason_code as stated_reason_code,
    stated.loss_reason_text as stated_reason_text,
    -- regime: structured when the team worked the structured process on the day the
    -- opportunity was created (simulator/truth.py splits groups the same way)
    case
        when regime.structured_since is not null
            and regime.structured_since <= cast(opportunities.created_at as date)
            then 'structured'
        else 'traditional'
    end as process_regime,
    -- dates and timestamps
    opportunities.created_at,
    windows.closed_at_as_of as lost_at,
    cast({{ dbt.date_trunc('month', 'windows.closed_at_as_of') }} as date) as lost_month,
    windows.as_of
from windows
inner join opportunities
    on opportunities.opportunity_id = windows.opportunity_id
left join stated
    on stated.opportunity_id = windows.opportunity_id
left join regime
    on regime.unit_id = opportunities.team_id
