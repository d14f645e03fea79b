-- Open opportunities 在途商机 as of as_of with the fields the forecast hygiene checks read:
-- the expected close date as entered, classified (valid ISO date / empty / other text such
-- as 尽快); the CRM probability as of as_of (the latest stage-history entry's, else the
-- extract's); whether it is the CRM default (50%); forecast vs requirement-document amount;
-- and the process regime of the owner's team when the opportunity was created.
-- The extract's fields (close date, amounts, probability) are those of the extract in force
-- on as_of (snapshot/int_opportunity_values_spanned_by_day), so a past as_of is rebuilt with
-- the close dates and amounts known that day, not today's; the latest extract only for an
-- opportunity no dated extract covers.
with

positions as (

    select * from {{ ref('int_opportunities_aggregated_to_funnel_position') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

value_spans as (

    select * from {{ ref('int_opportunity_values_spanned_by_day') }}

),

history as (

    select * from {{ ref('stg_crm__opportunity_stage_history') }}

),

regime as (

    select * from {{ ref('int_org_units_regime') }}

),

settings as (

    select
        max(case when parameter = 'default_probability' then value end) as default_probability
    from {{ ref('forecast_settings') }}

),

values_as_of as (

    select
        value_spans.opportunity_id,
        value_spans.expected_close_date_raw,
        value_spans.probability,
        value_spans.amount,
        value_spans.forecast_amount,
        value_spans.requirement_doc_amount
    from value_spans
    inner join positions
        on positions.opportunity_id = value_spans.opportunity_id
    where (value_spans.span_start_on is null or value_spans.span_start_on <= positions.as_of)
        and (value_spans.span_end_before is null or positions.as_of < value_spans.span_end_before)

),

in_force as (

    select
        opportunities.opportunity_id,
        case
            when values_as_of.opportunity_id is null then opportunities.expected_close_date
            else values_as_of.expected_close_date_raw
        end as expected_close_date,
        case
            when values_as_of.opportunity_id is null then opportunities.probability
            else values_as_of.probability
        end as probability,
        case
            when values_as_of.opportunity_id is null then cast(opportunities.amount as {{ type_double() }})
            else values_as_of.amount
        end as amount,
        case
            when values_as_of.opportunity_id is null then cast(opportunities.forecast_amount as {{ type_double() }})
            else values_as_of.forecast_amount
        end as forecast_amount,
        case
            when values_as_of.opportunity_id is null then cast(opportunities.requirement_doc_amount as {{ type_double() }})
            else values_as_of.requirement_doc_amount
        end as requirement_doc_amount
    from opportunities
    left join values_as_of
        on values_as_of.opportunity_id = opportunities.opportunity_id

),

latest_entry as (

    select
        history.opportunity_id,
        history.probability,
        row_number() over (
            partition by history.opportunity_id
            order by history.entered_at desc, coalesce({{ stage_order('history.stage') }}, 7) desc
        ) as recency
    from history
    inner join positions
        on positions.opportunity_id = history.opportunity_id
    where cast(history.entered_at as date) <= positions.as_of

),

joined as (

    select
        -- ids
        positions.opportunity_id,
        positions.owner_rep_id,
        positions.team_id,
        -- stage and regime
        positions.latest_stage as stage,
        case
            when regime.structured_since is not null
                and regime.structured_since <= cast(positions.created_at as date)
                then 'structured'
            else 'traditional'
        end as process_regime,
        -- expected close date as entered
        opportunities.expected_close_date as expected_close_date_raw,
        trim(coalesce(opportunities.expected_close_date, '')) as close_text,
        -- probability
        coalesce(latest_entry.probability, opportunities.probability) as crm_probability,
        settings.default_probability,
        -- amounts
        cast(opportunities.amount as {{ type_double() }}) as amount,
        cast(opportunities.forecast_amount as {{ type_double() }}) as forecast_amount,
        cast(opportunities.requirement_doc_amount as {{ type_double() }}) as requirement_doc_amount,
        -- timestamps
        positions.created_at,
        positions.as_of
    from positions
    inner join in_force as opportunities
        on opportunities.opportunity_id = positions.opportunity_id
    cross join settings
    left join latest_entry
        on latest_entry.opportunity_id = positions.opportunity_id
        and latest_entry.recency = 1
    left join regime
        on regime.unit_id = positions.team_id
    where positions.status_as_of = 'open'

),

classified as (

    select
        joined.*,
        case
            when close_text = '' then 'empty'
            -- the contract's date format is ISO YYYY-MM-DD; anything else (尽快, 月底前,
            -- 2026/10/31) is not a date a forecast can use
            when {{ dbt.length('close_text') }} = 10
                and substr(close_text, 5, 1) = '-'
                and substr(close_text, 8, 1) = '-'
                and {{ text_to_date('close_text') }} is not null
                then 'valid_date'
            else 'non_date_text'
        end as close_date_class
    from joined

)

select
    -- ids
    opportunity_id,
    owner_rep_id,
    team_id,
    -- stage and regime
    stage,
    cast(process_regime as {{ dbt.type_string() }}) as process_regime,
    -- expected close date
    expected_close_date_raw,
    cast(close_date_class as {{ dbt.type_string() }}) as close_date_class,
    close_date_class <> 'valid_date' as is_bad_close_date,
    -- probability (0–1)
    cast(crm_probability as {{ type_double() }}) as crm_probability,
    abs(crm_probability - default_probability) < 0.000001 as is_default_probability,
    -- amounts
    amount,
    forecast_amount,
    requirement_doc_amount,
    case
        when requirement_doc_amount > 0 and forecast_amount is not null
            then (forecast_amount - requirement_doc_amount) / requirement_doc_amount
    end as forecast_over_doc,
    -- timestamps
    created_at,
    as_of
from classified
