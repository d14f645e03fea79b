-- The day from which each opportunity is known to exist: its creation day, else (created_at
-- empty: a prospecting deal the CRM never dated) the earlier of its close day and its first
-- extract. One row per opportunity of the latest extract; first_seen_on is empty only when
-- nothing about the opportunity is dated at all.
with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

extracts as (

    select * from {{ ref('stg_crm__opportunity_extracts') }}

),

first_extracts as (

    select
        opportunity_id,
        min(extract_date) as first_extract_on
    from extracts
    group by opportunity_id

)

select
    -- ids
    opportunities.opportunity_id,
    -- dates
    cast(opportunities.created_at as date) as created_on,
    cast(
        case
            when opportunities.created_at is not null then cast(opportunities.created_at as date)
            when first_extracts.first_extract_on is null then cast(opportunities.closed_at as date)
            when opportunities.closed_at is null then first_extracts.first_extract_on
            when cast(opportunities.closed_at as date) < first_extracts.first_extract_on
                then cast(opportunities.closed_at as date)
            else first_extracts.first_extract_on
        end as date
    ) as first_seen_on
from opportunities
left join first_extracts
    on first_extracts.opportunity_id = opportunities.opportunity_id
